/* bcryptprimitives.c - TEST-ONLY shim for Wine < 8.13, which lacks bcryptprimitives.dll.
   Rust's standard library imports ProcessPrng from it. Built into the test Wine prefix by
   tests/windows-tier.sh; never shipped with imessage.dll (Windows 10+ has the real one). */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom, advapi32 */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
