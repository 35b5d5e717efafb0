/* cmocka fixtures shared by the tests of the outbound client: APR and
 * libcurl once per group, a pool per test. Destroying a test's pool stops
 * the loopback servers started with sap_test_start_*() and frees clients,
 * even when an assertion left the test half-way. */
#ifndef HELPER_FIXTURES_H
#define HELPER_FIXTURES_H

#include "helper_loopback.h"
#include "sap_http.h"

int sap_test_group_setup(void **state);
int sap_test_group_teardown(void **state);
int sap_test_pool_setup(void **state);
int sap_test_pool_teardown(void **state);
/* A test that gets its own pool as *state. */
#define SAP_POOL_TEST(fn) cmocka_unit_test_setup_teardown(fn, sap_test_pool_setup, sap_test_pool_teardown)

/* The default policy with fast retries (10 ms doubling, capped at 2 s) and
 * http:// allowed: what tests against the loopback servers want. */
sap_http_policy_t sap_test_fast_policy(void);

sap_test_loopback_t *sap_test_start_http(apr_pool_t *pool, const sap_test_http_reply_t *replies,
                                         int nreplies);
sap_test_loopback_t *sap_test_start_smtp(apr_pool_t *pool, const sap_test_smtp_reply_t *replies,
                                         int nreplies);

/* Raises *flag after `after` on a thread of its own (a shutdown arriving
 * mid-request); sap_test_cancel_join waits for that thread. */
typedef struct sap_test_cancel_t sap_test_cancel_t;
sap_test_cancel_t *sap_test_cancel_after(apr_pool_t *pool, volatile int *flag,
                                         apr_interval_time_t after);
void sap_test_cancel_join(sap_test_cancel_t *cancel);

/* Captures every line the core logs, at any level, until stop; the text
 * (lines joined by "\n") stays readable after stop, until the next start. */
void sap_test_log_capture_start(void);
void sap_test_log_capture_stop(void);
const char *sap_test_log_captured(void);

#endif
