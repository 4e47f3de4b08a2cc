/* Time. For waits and timeouts CLOCK_MONOTONIC, which no clock adjustment moves (condition
 * variables that wait with these deadlines are set to that clock, pthread_condattr_setclock);
 * for times other parties see (expiry in a requestState, a task's timestamps) the wall clock. */
#ifndef MCP_CLOCK_INT_H
#define MCP_CLOCK_INT_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on the monotonic clock. */
static inline long long mcp__monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Milliseconds since 1970 on the wall clock. */
static inline int64_t mcp__wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
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
