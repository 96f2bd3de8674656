// Compile shim for the zguide's C Majordomo examples on czmq 4, which dropped the zctx/zsocket
// classes they use. Like the old CZMQ zctx, the context tracks its sockets and closes them (linger 0) in
// zctx_destroy: without that, zmq_ctx_term waits forever for the open socket and the reference clients
// never exit after their 100,000 requests.
#include <czmq.h>
typedef struct { void *ctx; void *socks[64]; int n; } zctx_t;
static inline zctx_t *zctx_new (void) { zctx_t *c = (zctx_t *) zmalloc (sizeof *c); c->ctx = zmq_ctx_new (); return c; }
static inline void zctx_destroy (zctx_t **p) { if (*p) { for (int i = 0; i < (*p)->n; i++) if ((*p)->socks[i]) zmq_close ((*p)->socks[i]); zmq_ctx_term ((*p)->ctx); free (*p); *p = NULL; } }
static inline void *zsocket_new (zctx_t *c, int type) { void *s = zmq_socket (c->ctx, type); int l = 0; zmq_setsockopt (s, ZMQ_LINGER, &l, sizeof l); if (c->n < 64) c->socks[c->n++] = s; return s; }
static inline void zsocket_destroy (zctx_t *c, void *s) { if (!s) return; for (int i = 0; i < c->n; i++) if (c->socks[i] == s) c->socks[i] = NULL; zmq_close (s); }
static inline int zsocket_bind (void *s, const char *ep) { return zmq_bind (s, ep); }
