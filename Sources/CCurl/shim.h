#ifndef JUNCTION_CCURL_SHIM_H
#define JUNCTION_CCURL_SHIM_H

#include <curl/curl.h>
#include <errno.h>
#include <sys/socket.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* libcurl's configuration functions are variadic, which Swift cannot call. These typed wrappers are the only way
   the Swift code sets options; one per argument type. */

static inline CURLcode junction_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode junction_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode junction_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode junction_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode junction_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode junction_curl_easy_setopt_write_callback(
    CURL *handle, CURLoption option, size_t (*callback)(char *, size_t, size_t, void *)) {
    return curl_easy_setopt(handle, option, callback);
}

/* The socket opener the transport installs (CURLOPT_OPENSOCKETFUNCTION): libcurl's own, plus close-on-exec, plus
   the reason a socket could not be made. libcurl 7.88 reports a failed socket() as "Couldn't connect to server"
   and leaves CURLINFO_OS_ERRNO at 0, so without this a local EMFILE reads exactly like a provider refusing
   connections. `clientp` points to an int that receives errno on failure. */
static inline curl_socket_t junction_curl_open_socket(void *clientp, curlsocktype purpose,
                                                      struct curl_sockaddr *address) {
    (void)purpose;
    int fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd < 0 && clientp != NULL) *(int *)clientp = errno;
    return fd < 0 ? CURL_SOCKET_BAD : fd;
}

static inline CURLcode junction_curl_easy_setopt_open_socket(CURL *handle, int *errno_slot) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, junction_curl_open_socket);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, (void *)errno_slot);
}

/* An option's name without the CURLOPT_ prefix ("URL"), or NULL when this libcurl does not know it. */
static inline const char *junction_curl_option_name(CURLoption option) {
    const struct curl_easyoption *found = curl_easy_option_by_id(option);
    return found ? found->name : NULL;
}

static inline CURLcode junction_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode junction_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode junction_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

static inline CURLMcode junction_curl_multi_setopt_pointer(CURLM *handle, CURLMoption option, void *value) {
    return curl_multi_setopt(handle, option, value);
}

static inline CURLMcode junction_curl_multi_setopt_socket_function(
    CURLM *handle, int (*callback)(CURL *, curl_socket_t, int, void *, void *)) {
    return curl_multi_setopt(handle, CURLMOPT_SOCKETFUNCTION, callback);
}

static inline CURLMcode junction_curl_multi_setopt_timer_function(
    CURLM *handle, int (*callback)(CURLM *, long, void *)) {
    return curl_multi_setopt(handle, CURLMOPT_TIMERFUNCTION, callback);
}

/* epoll for the transport's event loop. struct epoll_event is packed on x86-64, which Swift does not import
   reliably, so these helpers take and return plain values. */
static inline int junction_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

/* op: EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL; want_read / want_write choose the events. */
static inline int junction_epoll_control(int epfd, int op, int fd, int want_read, int want_write) {
    struct epoll_event event;
    event.events = (want_read ? EPOLLIN : 0) | (want_write ? EPOLLOUT : 0);
    event.data.fd = fd;
    return epoll_ctl(epfd, op, fd, &event);
}

/* Waits for events; fills fds[i] and flags[i] (bit 1: readable, 2: writable, 4: error or hang-up). */
static inline int junction_epoll_wait(int epfd, int *fds, int *flags, int max, int timeout_ms) {
    struct epoll_event events[256];
    if (max > 256) max = 256;
    int count = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < count; i++) {
        fds[i] = events[i].data.fd;
        flags[i] = ((events[i].events & EPOLLIN) ? 1 : 0) | ((events[i].events & EPOLLOUT) ? 2 : 0)
            | ((events[i].events & (EPOLLERR | EPOLLHUP)) ? 4 : 0);
    }
    return count;
}

static inline int junction_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

static inline void junction_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t ignored = write(fd, &one, sizeof one);
    (void)ignored;
}

static inline void junction_eventfd_drain(int fd) {
    uint64_t value;
    ssize_t ignored = read(fd, &value, sizeof value);
    (void)ignored;
}

/* CURLVERSION_NOW is a macro alias that Swift does not import. */
static inline const curl_version_info_data *junction_curl_version_info(void) {
    return curl_version_info(CURLVERSION_NOW);
}

#endif
