/* The raw projection: a cheap superset of what the mapping gives some ECS
 * fields, read straight from the raw CloudTrail record, so that the pipeline
 * can tell before mapping that no rule can match an event.
 *
 * For the fields listed in rawproj.c, every value the mapping writes is a
 * verbatim copy of a string found at one of the field's raw source paths
 * (renames, and the few fields several processors fill from different keys,
 * such as user.name). The projection puts every string found at those paths
 * under the ECS name, so for any condition that holds for SOME value ("a value
 * matches the wildcard", "the field exists", ...) true on the mapped document
 * implies true on the projection. Conditions that are not monotone in the
 * values (NOT), fields outside the table, and records where a source holds a
 * number, boolean or object (whose mapped text may be rendered differently)
 * are left to the full evaluation: th_ecs_project then says the projection is
 * incomplete. tests/ecs/test_demand.c checks the superset property on every
 * record of the corpus and of every emulated scenario.
 *
 * Thread safety: pure functions; the document lives in the caller's arena and
 * borrows strings from the raw record. */
#ifndef TH_ECS_RAWPROJ_H
#define TH_ECS_RAWPROJ_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/str.h"
#include "json/json.h"
#include "json/jscan.h"
#include "query/query.h"

struct th_mapper;
struct th_mapper_opts;
struct th_jscan;

/* The i-th field of the table, NULL past its end (tests walk it): the copied
 * fields, then those computed by the mapping's own code from them
 * (source.as.* of each source.ip, through the ASN block). */
const char *th_ecs_raw_field_at(size_t i);
/* The i-th projected subtree (an object the mapping copies whole from the
 * pruned record: aws.cloudtrail.flattened.request_parameters), NULL past the
 * end. Every field under it is projected, with the mapped values. */
const char *th_ecs_raw_tree_at(size_t i);
/* True when `field` has raw sources (the table). */
bool th_ecs_raw_field(th_str field);
/* The raw source paths of `field` (dotted, through objects), or 0. */
size_t th_ecs_raw_sources(th_str field, const char *const **paths);

/* Builds the projection of every table field from the raw record (loaded in
 * the scanner `raw`: no DOM is needed), plus
 * the data stream constants the mapper would add. Returns NULL when the
 * projection would not be a superset (a non-string value at a source path, or
 * a record that is not an object). */
th_jval *th_ecs_project(const struct th_mapper *m, th_arena *a, const struct th_jscan *raw);

/* What th_ecs_project_with adds to the copied fields: the computed source.as.*
 * (an ASN lookup per address), user_agent.name (TH_PROJ_UA below) and the
 * subtrees (a DOM of each). A caller asks for those its gates may read: the
 * ASN, user-agent and stringify blocks' outputs (demand.h) read by any rule;
 * th_ecs_project adds all. */
enum { TH_PROJ_ASN = 1, TH_PROJ_TREES = 2 };
/* The computed user_agent.name: the user-agent block's name of the one
 * user_agent.original (th_ecs_ua_name_of), for a gate that reads it */
enum { TH_PROJ_UA = 32, TH_PROJ_ALL = TH_PROJ_ASN | TH_PROJ_TREES | TH_PROJ_UA };
/* With TH_PROJ_UA, to th_ecs_slots_fill: the fill checks user_agent.original
 * (false where the name's slot could not hold the mapping's) and leaves the
 * name's look-up to th_ecs_slots_ua_now, which a gate's evaluation and the
 * slot document call first (a plan remembered by the text needs none) */
enum { TH_PROJ_UA_LATER = 64 };
/* Only what routing reads (event.provider, event.action and the data stream
 * constants), no extras: the pipeline's first look, when it can rule the
 * record out on routing alone. */
enum { TH_PROJ_ROUTING = 4 };
/* With TH_PROJ_ROUTING: without the data stream constants either, for a
 * caller that knows they route to nothing (the pipeline checks that once on
 * the projection of `{}`). */
enum { TH_PROJ_NO_CONSTANTS = 8 };
th_jval *th_ecs_project_with(const struct th_mapper *m, th_arena *a, const struct th_jscan *raw,
                             unsigned extras);

/* @timestamp and event.ingested exactly as th_ecs_map followed by
 * th_event_read_times would give them, without mapping (eventTime, else the
 * record's own @timestamp); false when this record needs the full mapping to
 * know (neither usable, digest fields). */
bool th_ecs_times(const struct th_mapper *m, th_arena *a, const struct th_jscan *raw,
                  int64_t *timestamp_ms, int64_t *ingested_ms);
/* What a reader of projections (a gate) needs of them: bits of the copied
 * fields (th_ecs_raw_field_at order) and the extras (TH_PROJ_ASN,
 * TH_PROJ_TREES). th_ecs_raw_need adds field's; false when the projection
 * does not hold it (nothing added). The computed source.as.* need the
 * projected source.ip too, user_agent.name user_agent.original. */
/* In th_ecs_proj_need.extras only: some reader needs the projection as a
 * document (th_ecs_project_only), not only as slots. */
enum { TH_PROJ_DOM = 16 };
typedef struct th_ecs_proj_need {
    uint32_t fields;
    unsigned extras;
} th_ecs_proj_need;
#define TH_PROJ_NEED_ALL ((th_ecs_proj_need){UINT32_MAX, TH_PROJ_ALL})
bool th_ecs_raw_need(th_str field, th_ecs_proj_need *need);

/* th_ecs_project_with and th_ecs_times in one walk over the record's members
 * (the times' keys are found with the projected ones). *timed: whether
 * th_ecs_times would have returned true; the times are then set. */
th_jval *th_ecs_project_timed(const struct th_mapper *m, th_arena *a, const struct th_jscan *raw,
                              unsigned extras, int64_t *timestamp_ms, int64_t *ingested_ms,
                              bool *timed);
/* th_ecs_project_timed restricted to the copied fields in `fields` (bits as
 * th_ecs_proj_need; the routed event.provider and event.action and the data
 * stream constants are always there). A reader that reads only those fields
 * sees what it would see in the whole projection. */
th_jval *th_ecs_project_only(const struct th_mapper *m, th_arena *a, const struct th_jscan *raw,
                             unsigned extras, uint32_t fields, int64_t *timestamp_ms,
                             int64_t *ingested_ms, bool *timed);
/* The same from the eventTime text, with the mapper's own time texts (mapper.c). */
bool th_ecs_times_from(const struct th_mapper *m, th_str event_time, int64_t *timestamp_ms,
                       int64_t *ingested_ms);

/* ---- the projection as slots ----------------------------------------------
 * The same projection without a document: each projected field has a fixed
 * slot (query.h th_qslot) holding the values th_json_path_each would visit at
 * that field of th_ecs_project_only's document, in the same order (a subtree
 * slot holds the pruned subtree, below which a gate looks its path up). A
 * gate bound with th_ecs_slot_of reads the same as on the document
 * (tests/ecs/test_demand.c compares them on every corpus and emulated
 * record); routing reads its fields' slots. Slots: the table fields (in
 * th_ecs_raw_field_at order, computed ones included), the data stream
 * constants, then the subtrees. */
#define TH_ECS_NSLOTS 29
#define TH_ECS_NTABLE 20 /* the copied fields: the first slots */
#define TH_ECS_MAX_SEG 48
#define TH_ECS_ACTOR_MEMO 64 /* th_ecs_slots.actor_memo's entries */
/* A worker's slots: reused record after record (th_ecs_slots_init/free). */
typedef struct th_ecs_slots {
    th_qslot slot[TH_ECS_NSLOTS];
    /* bit i: slot i holds values in static storage, the same ones (by
     * address and text) on every record of the process: the data stream
     * constants, when start set them. A reader may remember what it made of
     * them under their address. */
    uint32_t fixed;
    /* private: the record's state between start and fill */
    th_jval *buf; /* every value but the constants', slot after slot */
    uint32_t len, cap;
    uint32_t off[TH_ECS_NSLOTS];
    uint32_t used; /* bit i: slot i was filled since start (the others are empty) */
    uint32_t arrays; /* bit i: a source path of table field i held an array */
    uint8_t npath[TH_ECS_NTABLE][4]; /* values of table field i from its path k (255: more) */
    bool array_seen;
    const struct th_mapper *m;
    th_arena *a;
    const struct th_jscan *raw;
    th_jcur found[TH_ECS_MAX_SEG];
    bool have[TH_ECS_MAX_SEG];
    uint64_t descended_objs; /* the plan's objects (segment bits) fill walked since start */
    bool escapes, full_root;
    struct th_ecs_doc_layouts *layouts; /* th_ecs_slots_doc's, made on first use */
    struct th_ecs_ua_memos *ua_memos;   /* user_agent.name by agent, made on first use */
    struct th_ecs_ts_memos *ts_memos;   /* @timestamp's texts by the time, made on first use */
    bool ts_known;                      /* @timestamp's date text of ts_day is ts_date */
    int64_t ts_day;
    char ts_date[11];
    /* userIdentity's walks by its text (rawproj.c walk_memo), made on first use */
    struct th_ecs_walk_memos *walk_memos;
    /* private (th_ecs_slots_routed): the memo of the numbers of the routed
     * slots' values (rawproj.c th_ecs_slots_routed_number; th_ecs_slots_init
     * makes it, NULL: no numbers) */
    struct th_ecs_routed_memos *routed_memos;
    /* private (th_ecs_slots_ident): the number the walk memo gave the
     * record's userIdentity text since start (0: none), and the table
     * fields' slots whose values are a function of that text alone */
    uint64_t ident;
    uint32_t ident_slots;
    /* private: the actor decision of doc_values (rawproj.c actor_of) by
     * the number above, direct-mapped (num 0: empty) */
    struct th_ecs_actor_memo {
        uint64_t num;
        uint8_t who;
    } actor_memo[TH_ECS_ACTOR_MEMO];
    /* public, after th_ecs_slots_doc: the fields of the document that hold
     * several nodes (docfield bits), which nodes does not give */
    uint64_t walked;
    /* public, after th_ecs_slots_doc or th_ecs_slots_nodes made one: bit i,
     * slot i (a table or computed field of the document) holds exactly the
     * values the document holds at its field (the same values, in order),
     * so that a query on those slots (th_query_match_slots) decides as it
     * would on the document; the others may hold more (source.ip's text
     * that is no address, the user names the mapping decides against) */
    uint32_t exact;
    /* private: whether source.ip's one value is an address (1), is not (2),
     * or not known (0), as slots_asn's memo found it; current while the AS
     * slots are filled (used) */
    uint8_t ip_is;
    /* private: the AS slots' texts are the ASN memo's own (a remembered
     * address, the record's one): valid until the thread's next look-up
     * of another address; current while the AS slots are filled */
    bool as_borrowed;
    /* private (th_ecs_slots_asn): the AS slots (set by init), and where
     * slots_asn filled them from source.ip's slot as it stays (filled
     * before them), that slot's bit; current while the AS slots are filled */
    uint32_t as_slots, as_from;
    /* private (th_ecs_slots_ua): the name's look-up is left to
     * th_ecs_slots_ua_now (TH_PROJ_UA_LATER), user_agent.original checked */
    bool ua_later;
    /* private: the values made for a document's @timestamp, event.outcome,
     * user.changes.name and session_credential_from_console (doc_values),
     * which borrowed nodes point to until the next record's */
    th_jval made[4];
    /* private: aws.cloudtrail.request_parameters' text as it is written
     * (doc_values), kept from record to record */
    th_buf request;
} th_ecs_slots;
/* The number of the record's userIdentity text, where the slots of `read`
 * whose values are a function of that text (the identity's type, ARN, key
 * id, issuer...) were all filled from it: those slots into *slots. Two
 * records of one number hold the same values in those slots (the number is
 * the text's, process-wide, never reused: rawproj.c walk_numbers), so a
 * reader may compare the number in their place. 0 (*slots untouched)
 * where no such slot is read, one of them was not filled, or the text had
 * no number (escapes, a text past the memo's limit). */
static inline uint64_t th_ecs_slots_ident(const th_ecs_slots *s, uint64_t read, uint64_t *slots)
{
    const uint64_t id = read & s->ident_slots;
    if (!s->ident || !id || (id & ~(uint64_t)s->used))
        return 0;
    *slots = id;
    return s->ident;
}
/* The routed slots that th_ecs_slots_routed's number stands for:
 * event.provider's and event.action's, the table's first two. */
#define TH_ECS_ROUTED_SLOTS 3u
/* The number of the values start put in the routed slots, where `slots`
 * are among those it stands for (TH_ECS_ROUTED_SLOTS): two records of one
 * number hold the same values there (each slot empty, or one string of the
 * same text; the number is the pair's, process-wide, never reused), so a
 * reader may compare the number in their place. 0 where `slots` name
 * another, or a slot held anything else (several values, a long text).
 * Made at each call (a look-up in the slots' memo): ask once a record. */
uint64_t th_ecs_slots_routed_number(const th_ecs_slots *s);
static inline uint64_t th_ecs_slots_routed(const th_ecs_slots *s, uint64_t slots)
{
    return slots & ~(uint64_t)TH_ECS_ROUTED_SLOTS ? 0 : th_ecs_slots_routed_number(s);
}
/* The AS slots of `read` (source.as.number, .organization.name), where
 * `read` holds source.ip and they were filled from its values: their values
 * are then a function of source.ip's (each value's type and text, in order:
 * the ASN table's answers, fixed for the process), so that two records
 * whose source.ip slots hold the same values hold the same in these, and a
 * reader that compares source.ip's values may leave them out. 0 where
 * `read` holds neither or not source.ip, or they were not so filled. */
static inline uint64_t th_ecs_slots_asn(const th_ecs_slots *s, uint64_t read)
{
    const uint64_t as = read & s->as_slots & s->used;
    return as && (read & s->as_from) ? as : 0;
}
/* user_agent.name's slot (a computed one) and user_agent.original's */
#define TH_ECS_SLOT_UA_NAME 22
#define TH_ECS_SLOT_UA_ORIGINAL 7
/* user_agent.name's slot where `read` holds it and it was asked of the fill
 * (TH_PROJ_UA), looked up or left for later: its value is then a function
 * of user_agent.original's one text (the user-agent data, fixed for the
 * process), so that a reader may compare that text in its place
 * (user_agent.original's slot bit into *text). 0 (*text 0) otherwise. */
static inline uint64_t th_ecs_slots_ua(const th_ecs_slots *s, uint64_t read, uint64_t *text)
{
    *text = 0;
    if (!(read >> TH_ECS_SLOT_UA_NAME & 1) ||
        !((s->used >> TH_ECS_SLOT_UA_NAME & 1) || s->ua_later))
        return 0;
    *text = 1ull << TH_ECS_SLOT_UA_ORIGINAL;
    return 1ull << TH_ECS_SLOT_UA_NAME;
}
/* user_agent.name's slot looked up, where th_ecs_slots_fill left it for
 * later (TH_PROJ_UA_LATER); nothing otherwise. */
void th_ecs_slots_ua_later(th_ecs_slots *s);
static inline void th_ecs_slots_ua_now(th_ecs_slots *s)
{
    if (s->ua_later)
        th_ecs_slots_ua_later(s);
}
void th_ecs_slots_init(th_ecs_slots *s);
void th_ecs_slots_free(th_ecs_slots *s);
/* The slot of a field path, as th_qslot_fn: a table or computed field, a
 * data stream constant, or a path at or below a projected subtree. */
int th_ecs_slot_of(th_str path, th_str *rest);
/* The ECS field of slot i (NULL past the end). */
const char *th_ecs_slot_field(size_t i);
/* The first look: one walk over the record's top-level members (with
 * TH_PROJ_ROUTING, only over the routed keys and the times' keys) fills the
 * routed slots (event.provider, event.action and, unless
 * TH_PROJ_NO_CONSTANTS, the constants; every other slot is empty) and the
 * times as th_ecs_project_timed. False where th_ecs_project_timed would give
 * NULL. Values borrow from the record, `a` and (the constants) static storage. */
bool th_ecs_slots_start(const struct th_mapper *m, th_arena *a, const struct th_jscan *raw,
                        unsigned flags, th_ecs_slots *s, int64_t *timestamp_ms,
                        int64_t *ingested_ms, bool *timed);
/* Then the table fields in `fields` (th_ecs_proj_need bits) and the extras
 * (TH_PROJ_ASN, TH_PROJ_TREES), descending only into the objects those
 * fields' paths go through: the slots then read as th_ecs_project_only's
 * document. False where that would be NULL. */
bool th_ecs_slots_fill(th_ecs_slots *s, unsigned extras, uint32_t fields);

/* ---- the slot document ------------------------------------------------------
 * For the fields below, a record's slots often hold exactly what the mapping
 * would write there (the same values, types and order), not a superset: a
 * field is *exact* on a record when its raw sources hold no array, no empty
 * string and, for the fields several processors write (user.name, user.id,
 * cloud.account.id), when the mapping's own decisions (mapper_int.h: service
 * actors, sessionIssuer overrides, UserAuthentication) pick one source from
 * the slots. Computed ones: source.ip (an address only), source.as.* (the
 * ASN block of source.ip), event.outcome (from the error fields, not for
 * ConsoleLogin), @timestamp (the mapping's text of the time), the data stream
 * constants, user_agent.name (the user-agent block of user_agent.original)
 * and, looked up in the record, user.changes.name
 * (requestParameters.newUserName), aws.cloudtrail.session_credential_from_console
 * (a renamed string), aws.cloudtrail.response_elements (only where the
 * record has no responseElements: then the field is absent),
 * aws.cloudtrail.resources.arn (resources whose ARN, accountId and type are
 * strings, ordered and merged as the resources script does),
 * event.category (the per-action table's), aws.cloudtrail.request_parameters
 * (the stringify block's text of the pruned requestParameters),
 * tls.client.server_name (the tls block's copy), user.target.name
 * (requestParameters.userName), aws.cloudtrail.event_category (a renamed
 * string) and source.geo.city_name (the GeoIP City block's lookup of
 * source.ip, th_ecs_geo_of). Where every field an event's planned rules read is exact,
 * the pipeline evaluates them on a document made from the slots
 * (th_ecs_slots_doc) instead of mapping the record; tests/ecs/test_slotdoc.c
 * compares the two on every corpus and emulated record. */
/* The slot document's field number of `field`, or -1 (at most 64 fields). */
int th_ecs_docfield_of(th_str field);
/* The name of field number i, NULL past the last. */
const char *th_ecs_docfield_name(size_t i);
/* Whether the mapper's options allow slot documents at all (no retain
 * option: it changes what stays in the document). */
bool th_ecs_slots_doc_usable(const struct th_mapper *m);
/* The data stream constants' fields (data_stream.dataset, .type,
 * .namespace, event.dataset, event.module): whatever the record, a slot
 * document (and th_ecs_slots_nodes' nodes) of a mapper m holds at each
 * what th_ecs_slots_constants(m, NULL) holds there. */
bool th_ecs_constant_field(th_str field);
/* The document of those constants as m's th_ecs_map adds them (an empty
 * object without its data_stream option); m NULL: the mapper o would make
 * (the pipeline makes its mapper at the first raw record); NULL when both
 * are. One of two documents made once per process (the same pointer for
 * the same option), read-only, never freed. */
const th_jval *th_ecs_slots_constants(const struct th_mapper *m, const struct th_mapper_opts *o);
/* What th_ecs_slots_fill must fill before th_ecs_slots_doc of `docfields`
 * (bits of th_ecs_docfield_of). */
th_ecs_proj_need th_ecs_docfields_need(uint64_t docfields);
/* The document of `docfields` from slots filled with their need (start's
 * times: timestamp_ms), nested as the mapping nests them; NULL when some
 * field is not exact on this record. Strings are copied into the slots'
 * arena when `copy` (the record's text will not outlive the caller), else
 * borrowed from the record as the slots' are. nodes (NULL: not wanted; else
 * 64 entries): by field number, the one node a walk of the document finds
 * at that field, NULL where it finds none or, for the fields in s->walked,
 * several (each field is written once; a leaf, or an array whose one item
 * is the node, or the array of resources). */
th_jval *th_ecs_slots_doc(th_ecs_slots *s, uint64_t docfields, int64_t timestamp_ms, bool copy,
                          const th_jval **nodes);
/* th_ecs_slots_doc's nodes (as it sets them) without its document, for
 * readers that read every field through them: true where th_ecs_slots_doc
 * would give a document in which every field holds at most one node; false
 * where it would give NULL, or a field of several nodes (s->walked: the
 * resources' ARNs), which only a walk of the document finds. Each node is
 * what th_ecs_slots_doc writes at that field (tests/ecs/test_slotdoc.c).
 * nodes: 64 entries, of which those of the document's fields are set
 * (NULL: none). `lasting`: each node is made in the slots' arena, as
 * th_ecs_slots_doc makes them (for readers that keep a node's address past
 * the next record's start, as the pipeline's workers do until the batch's
 * commit); otherwise, and unless `copy`, a node may be the slots' own value
 * (or s->made, or the user-agent or ASN memo's text), valid until the next
 * th_ecs_slots_start, _fill, _doc or _nodes of s, or the thread's next ASN
 * look-up of another address: nothing is copied (the pipeline's one thread
 * commits each record before it starts the next). */
bool th_ecs_slots_nodes(th_ecs_slots *s, uint64_t docfields, int64_t timestamp_ms, bool copy,
                        bool lasting, const th_jval **nodes);

#endif
