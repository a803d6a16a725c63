/*
 * lk_banned.h - force-included into every src/ and cli/ translation unit.
 * These functions have no bounds or no error reporting; use snprintf,
 * lk_buf, strtol/strtoull with end checks, and gmtime_r instead.
 */
#ifndef LK_BANNED_H
#define LK_BANNED_H

#define LK_BANNED(func) sorry_##func##_is_banned_in_lockstep

#undef strcpy
#define strcpy(x, y) LK_BANNED(strcpy)
#undef strcat
#define strcat(x, y) LK_BANNED(strcat)
#undef sprintf
#define sprintf(...) LK_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) LK_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) LK_BANNED(strtok)
#undef gets
#define gets(x) LK_BANNED(gets)
#undef atoi
#define atoi(x) LK_BANNED(atoi)
#undef localtime
#define localtime(x) LK_BANNED(localtime)

#endif /* LK_BANNED_H */
