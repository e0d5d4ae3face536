/* The event: one ECS document flowing through the engine, with the two
 * timestamps every rule windows on, and where it came from.
 *
 * Ownership: `doc` and the strings inside it are borrowed (from the input
 * buffer and the per-record arena); an event is valid only while its record is
 * (see io/input.h). Whatever must outlive the record is copied (alerts
 * serialise the document). */
#ifndef TH_EVENT_EVENT_H
#define TH_EVENT_EVENT_H

#include <stdint.h>

#include "base/str.h"
#include "base/timeutil.h"
#include "json/json.h"

typedef struct th_event {
    th_jval *doc;          /* ECS document (nested objects; literal dotted keys allowed) */
    int64_t timestamp_ms;  /* @timestamp, TH_TIME_NONE if absent or unparsable */
    int64_t ingested_ms;   /* event.ingested, TH_TIME_NONE if absent */
    uint64_t index;        /* 0-based position among all events of the run's input */
    const char *file;      /* source file ("-" for stdin) */
    uint64_t offset;       /* byte offset of the record in the (inflated) file */
    uint64_t line;         /* 1-based line for NDJSON input, 0 otherwise */
    th_str raw;            /* when set: `doc` maps only what the rules read, and the
                              complete document is this raw CloudTrail record mapped
                              again (the engine's materialiser); empty otherwise */
    bool ts_formatted;     /* `doc` holds @timestamp, where it holds it, as the one string
                              th_time_format_iso(timestamp_ms) (a slot document's); the
                              engine may then take the field's value from timestamp_ms */
} th_event;

/* Fills timestamp_ms and ingested_ms from the document. */
void th_event_read_times(th_event *ev);

/* Elastic's `kibana.combined_timestamp`: event.ingested if present, else @timestamp. */
static inline int64_t th_event_combined_ts(const th_event *ev)
{
    return ev->ingested_ms != TH_TIME_NONE ? ev->ingested_ms : ev->timestamp_ms;
}

#endif
