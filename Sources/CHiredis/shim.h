#ifndef JUNCTION_CHIREDIS_SHIM_H
#define JUNCTION_CHIREDIS_SHIM_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <sys/time.h>

/* The reply tree's children are a C array of pointers: read one by index, so that Swift never does pointer
   arithmetic on hiredis' structures. */
static inline redisReply *junction_redis_reply_element(redisReply *reply, size_t index) {
    return reply->element[index];
}

/* A timeval from milliseconds (hiredis' connect and socket timeouts). */
static inline struct timeval junction_redis_timeval_ms(long milliseconds) {
    struct timeval tv;
    tv.tv_sec = milliseconds / 1000;
    tv.tv_usec = (milliseconds % 1000) * 1000;
    return tv;
}

#endif
