/* Functions that invite overflows or hidden state; use the buf and snprintf family instead.
 * Included last by every libmcp source so a use fails to compile. */
#ifndef MCP_BANNED_H
#define MCP_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_libmcp

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)
#undef atoi
#define atoi(x) BANNED(atoi)

#endif
