// Declarations only: OpenBLAS is opened with dlopen at run time, never linked, so that the
// library can pick OpenBLAS's kernel before OpenBLAS initialises (see OpenBLASLoader.swift).
#pragma once
#include <cblas.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/// The widest x86 vector ISA this CPU *and* the operating system support:
/// 3 = AVX-512 (F, CD, BW, DQ, VL), 2 = AVX2 + FMA, 1 = AVX, 0 = older.
static inline int sd_x86_vector_tier(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx) return 0;
    unsigned int xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0x6) != 0x6) return 0;           // XMM and YMM state enabled by the OS
    int tier = 1;
    if (__get_cpuid_max(0, 0) < 7) return tier;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1;
    if (avx2 && fma) tier = 2;
    int avx512 = ((b >> 16) & 1) && ((b >> 28) & 1) && ((b >> 30) & 1) && ((b >> 17) & 1) && ((b >> 31) & 1);
    if (tier == 2 && avx512 && (xcr0_lo & 0xE6) == 0xE6) tier = 3; // opmask + ZMM state enabled
    return tier;
}
#else
static inline int sd_x86_vector_tier(void) { return -1; }
#endif
