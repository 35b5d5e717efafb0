/* The store interface (sap_store.h) over httpd's mod_dbd. */
#ifndef MOD_SAP_STORE_DBD_H
#define MOD_SAP_STORE_DBD_H

#include <httpd.h>
#include "sap_store.h"

/* check_config: whether mod_dbd is loaded (its optional functions exist). */
int mod_sap_store_available(void);

/* post_config, before mod_dbd's: registers every statement with mod_dbd,
 * which prepares them on each new connection. Fails without mod_dbd. */
apr_status_t mod_sap_store_prepare(server_rec *s, apr_pool_t *ptemp);

/* A session for a request: mod_dbd's per-request connection (ap_dbd_acquire),
 * released by mod_dbd when the request ends. APR_EGENERAL when the database
 * cannot be reached. */
apr_status_t mod_sap_store_for_request(request_rec *r, sap_store_t **pstore);

/* A session for a background thread (ap_dbd_open); close it promptly with
 * mod_sap_store_close: it comes from the same per-process pool as requests'. */
apr_status_t mod_sap_store_open(server_rec *s, apr_pool_t *pool, sap_store_t **pstore);
void mod_sap_store_close(sap_store_t *store);

#endif
