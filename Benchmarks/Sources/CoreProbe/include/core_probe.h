#ifndef CORE_PROBE_H
#define CORE_PROBE_H

/// Times `iterations` × 16 dependent integer additions (one cycle each on every x86-64 core) and
/// returns the seconds they took, so that 16 · iterations / seconds is the core's clock rate while it
/// ran: a stand-in for the cycle counter where a virtual machine exposes no hardware counters.
/// 0 on CPUs other than x86-64.
double core_probe_add_chain_seconds(long iterations);

/// Times `iterations` × 96 fused multiply-adds on 8-float vectors in 12 independent chains (enough to
/// fill both FMA pipes of an AVX2 core) and returns the seconds: with the clock from
/// core_probe_add_chain_seconds, FMAs per cycle, which drops when another thread shares the core's
/// FMA units. 0 where AVX2 with FMA is missing.
double core_probe_fma_seconds(long iterations);

/// Runs the calling thread on virtual CPU `cpu` only (sched_setaffinity) and returns 1, or returns 0
/// if that CPU cannot be chosen (always, off Linux); core_probe_unpin() gives the thread back the
/// CPUs it had before.
/// The probe pins each reading so that it knows which CPU it read.
int core_probe_pin(int cpu);
void core_probe_unpin(void);
/// Writes the ids of the virtual CPUs this thread may run on (at most `capacity`) and returns how many.
int core_probe_cpus(int *ids, int capacity);

#endif
