/* Test harness only, never shipped: the one function of Windows 10's bcryptprimitives.dll that cryptography's
 * Rust extension imports and Wine 8 lacks, answered by advapi32's RtlGenRandom (SystemFunction036), which
 * Wine has. Built by build/wine/windows_check.py with mingw-w64 and put beside python.exe in wine-cache/. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
