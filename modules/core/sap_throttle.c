#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "sap_throttle.h"

/* A waiter wakes this often to look at the cancel flag: shutdown raises
 * it without signalling the condition. */
#define THROTTLE_CANCEL_POLL apr_time_from_msec(100)

struct sap_throttle_t {
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *freed;
    int limit;
    int in_flight;
    int peak;
};

apr_status_t sap_throttle_create(sap_throttle_t **pthrottle, apr_pool_t *pool, int limit)
{
    sap_throttle_t *throttle = apr_pcalloc(pool, sizeof(*throttle));
    apr_status_t rv;

    throttle->limit = limit > 0 ? limit : 1;
    if ((rv = apr_thread_mutex_create(&throttle->mutex, APR_THREAD_MUTEX_DEFAULT, pool))
        != APR_SUCCESS
        || (rv = apr_thread_cond_create(&throttle->freed, pool)) != APR_SUCCESS) {
        return rv;
    }
    *pthrottle = throttle;
    return APR_SUCCESS;
}

apr_status_t sap_throttle_enter(sap_throttle_t *throttle, volatile const int *cancel)
{
    apr_status_t rv = APR_SUCCESS;

    if (!throttle) {
        return APR_SUCCESS;
    }
    apr_thread_mutex_lock(throttle->mutex);
    while (throttle->in_flight >= throttle->limit) {
        if (cancel && *cancel) {
            rv = APR_ECONNABORTED;
            break;
        }
        apr_thread_cond_timedwait(throttle->freed, throttle->mutex, THROTTLE_CANCEL_POLL);
    }
    if (rv == APR_SUCCESS) {
        throttle->in_flight++;
        if (throttle->in_flight > throttle->peak) {
            throttle->peak = throttle->in_flight;
        }
    }
    apr_thread_mutex_unlock(throttle->mutex);
    return rv;
}

void sap_throttle_leave(sap_throttle_t *throttle)
{
    if (!throttle) {
        return;
    }
    apr_thread_mutex_lock(throttle->mutex);
    throttle->in_flight--;
    apr_thread_cond_signal(throttle->freed);
    apr_thread_mutex_unlock(throttle->mutex);
}

static int read_locked(sap_throttle_t *throttle, const int *field)
{
    int value;

    apr_thread_mutex_lock(throttle->mutex);
    value = *field;
    apr_thread_mutex_unlock(throttle->mutex);
    return value;
}

int sap_throttle_in_flight(sap_throttle_t *throttle)
{
    return throttle ? read_locked(throttle, &throttle->in_flight) : 0;
}

int sap_throttle_peak(sap_throttle_t *throttle)
{
    return throttle ? read_locked(throttle, &throttle->peak) : 0;
}
