#ifndef JUNCTION_CSYSTEMD_SHIM_H
#define JUNCTION_CSYSTEMD_SHIM_H

/* Without this the sd_journal_send* functions become macros that add CODE_FILE/CODE_LINE of this header. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1

#include <malloc.h>
#include <sys/uio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

/* struct ucred as SO_PEERCRED fills it; Glibc's own definition is hidden behind _GNU_SOURCE, which Swift's
   Glibc module does not set. Same layout as the kernel's. */
typedef struct {
    int pid;
    unsigned int uid;
    unsigned int gid;
} junction_peer_credentials;

/* SO_PEERGROUPS (Linux 4.13): the peer's supplementary groups as the kernel recorded them at connect(), sorted
   ascending. A fixed buffer: getsockopt fails with ERANGE when the peer has more groups than fit. */
#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif
static const int junction_so_peergroups = SO_PEERGROUPS;
#define JUNCTION_PEER_GROUPS_CAPACITY 256
typedef struct {
    unsigned int gids[JUNCTION_PEER_GROUPS_CAPACITY];
} junction_peer_groups;

/* mallopt is not exported by Swift's Glibc module. */
static inline int junction_limit_malloc_arenas(int arenas) {
    return mallopt(M_ARENA_MAX, arenas);
}

#endif
