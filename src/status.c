/* status.c - status strings and the library version. */
#include "lk_internal.h"

const char *lk_strerror(lk_status st)
{
    switch (st) {
    case LK_OK:
        return "success";
    case LK_EOF:
        return "end of input";
    case LK_ENOMEM:
        return "out of memory";
    case LK_EIO:
        return "input/output error";
    case LK_EPARSE:
        return "malformed input";
    case LK_EINVAL:
        return "invalid argument";
    case LK_ELIMIT:
        return "size limit exceeded";
    case LK_EGRAPH:
        return "graph library error";
    }
    return "unknown status";
}

#define LK_STR2(x) #x
#define LK_STR(x)  LK_STR2(x)

const char *lk_version(void)
{
    return LK_STR(LK_VERSION_MAJOR) "." LK_STR(LK_VERSION_MINOR) "." LK_STR(LK_VERSION_PATCH);
}
