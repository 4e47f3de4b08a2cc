/* Time for waits and timeouts: CLOCK_MONOTONIC, which no clock adjustment moves. Condition
 * variables that wait with these deadlines are set to that clock (pthread_condattr_setclock). */
#ifndef MCP_CLOCK_INT_H
#define MCP_CLOCK_INT_H

#include <time.h>

/* Milliseconds on the monotonic clock. */
static inline long long mcp__monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The monotonic time `ms` milliseconds from now, as a deadline for pthread_cond_timedwait. */
static inline struct timespec mcp__deadline_after(unsigned ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

#endif
