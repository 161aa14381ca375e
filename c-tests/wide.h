/* wide.h - UTF-16 strings from ASCII for the tests, and comparing them back. Compiles as
   C and as C++. */
#ifndef IMSG_WIDE_H
#define IMSG_WIDE_H

#include "imessage.h"

/* A UTF-16 copy of an ASCII string (at most 127 characters), in a ring of 16 buffers so
   that several can be live at once. */
static inline WCHAR *W(const char *s)
{
    static WCHAR ring[16][128];
    static int next = 0;
    WCHAR *out = ring[next++ % 16];
    int i;
    for (i = 0; s[i] && i < 127; i++)
        out[i] = (WCHAR)(unsigned char)s[i];
    out[i] = 0;
    return out;
}

/* Whether a UTF-16 string equals an ASCII one; NULL equals nothing. */
static inline int wide_eq(const WCHAR *w, const char *s)
{
    if (!w)
        return 0;
    while (*s && *w == (WCHAR)(unsigned char)*s) {
        w++;
        s++;
    }
    return *w == 0 && *s == 0;
}

#endif
