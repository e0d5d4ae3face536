/* noise's internals, shared by noise.c (clusters, counts, ranking) and
 * noise_attr.c (attributes and their generalised values). Not a public
 * interface. */
#ifndef TH_TUNE_NOISE_INT_H
#define TH_TUNE_NOISE_INT_H

#include "base/buf.h"
#include "base/map.h"
#include "base/vec.h"
#include "tune/noise.h"

typedef enum gen { G_PLAIN, G_SOURCE, G_UA, G_ARN } gen;

typedef struct attr {
    const char *field, *alias; /* alias: read where field is absent */
    th_noise_class cls;
    gen g;
    bool extra; /* a rule's investigation field or --field: values only, no presence */
} attr;

/* The attributes every analysis considers, provenance first and the
 * mechanisms (console, a service acting, no source address) before the
 * values that go with them: the order breaks ties, and the mechanisms are
 * what a tuning should name. A rule's own fields follow. Not here on
 * purpose: session_context.mfa_authenticated, which a stolen session token
 * carries as its owner's session did (--field adds it). */
#define MAX_ATTRS 96
#define MAX_VALS 8   /* values read per field and event */
#define MAX_FEATS 96 /* conditions one event can hold */
#define PAIR_TOP 40  /* the most frequent conditions combined in pairs */

/* A field not in the table: classed by its name. */

typedef struct feat {
    th_noise_cond c;
    size_t attr;
    size_t count;
    uint64_t *bits;
    th_noise_cluster *cl; /* the single-condition cluster, when it has one */
    int top;              /* index among the pair candidates, -1 if none */
} feat;

struct th_noise {
    th_arena *a;
    const th_talerts *alerts;
    const th_labels *labels;
    attr attrs[MAX_ATTRS];
    size_t nattrs;
    size_t nknown; /* attrs[0..nknown) are the known ones, the rule's fields follow */
    th_map fmap;   /* key -> feat */
    TH_VEC(feat *) feats;
    TH_VEC(th_noise_cluster *) cl;
    feat *top[PAIR_TOP];
    size_t ntop;
    th_noise_cluster *pair[PAIR_TOP][PAIR_TOP];
    size_t nwords, min, events, selected;
    int64_t day0;
    size_t ndays;
    th_buf key;
};

/* The attributes: the known ones, then the rule's fields (o->fields). */
void th_noise_attrs(th_noise *n, const th_noise_opts *o);
/* The conditions one document holds, into out (at most MAX_FEATS); with
 * `insert`, conditions not seen before are created (the alerts), else only
 * known ones are returned (the events of the data). */
size_t th_noise_doc_feats(th_noise *n, const th_jval *doc, bool insert, feat **out);

#endif
