/* bcryptprimitives.dll for Wine 8, which lacks it: ProcessPrng over advapi32's
 * RtlGenRandom (SystemFunction036). Rust's standard library (1.78+) imports ProcessPrng,
 * so no Rust program starts under Wine 8 without this. Test harness only (scripts/wine.sh
 * puts it into each fresh Wine prefix's system32); never shipped: Windows 10 and later
 * have the real DLL. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
