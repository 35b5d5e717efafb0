/* A counting limit on work in flight across the threads of one process
 * (at most 10 users.lookupByEmail at a time, DESIGN section 7). */
#ifndef SAP_THROTTLE_H
#define SAP_THROTTLE_H

#include <apr_errno.h>
#include <apr_pools.h>

typedef struct sap_throttle_t sap_throttle_t;

apr_status_t sap_throttle_create(sap_throttle_t **pthrottle, apr_pool_t *pool, int limit);
/* Waits for a free slot. APR_ECONNABORTED when *cancel is raised while
 * waiting (cancel may be NULL). A NULL throttle never waits. */
apr_status_t sap_throttle_enter(sap_throttle_t *throttle, volatile const int *cancel);
void sap_throttle_leave(sap_throttle_t *throttle);
/* Slots in use now, and the most ever in use (for tests and diagnostics). */
int sap_throttle_in_flight(sap_throttle_t *throttle);
int sap_throttle_peak(sap_throttle_t *throttle);

#endif
