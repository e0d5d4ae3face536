/* trailhound emulate: synthetic but realistic raw CloudTrail for attack stories
 * and benign activity, with a label per record saying which story and step it
 * belongs to, whether it is malicious, and which Elastic rules should fire.
 *
 * Output is deterministic for a seed: the generator has its own PRNG (one
 * stream per scenario) and never reads the clock.
 *
 * Ownership: records handed to a sink are valid only during the callback.
 * Thread safety: th_emu_run keeps all its state in locals; run one per thread. */
#ifndef TH_EMULATE_EMULATE_H
#define TH_EMULATE_EMULATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct th_emu_scenario_info {
    const char *name;
    const char *kind;      /* "benign" or "attack" */
    const char *technique; /* ATT&CK technique ids, comma separated */
    const char *summary;
} th_emu_scenario_info;

/* The scenario table (static). */
size_t th_emu_scenarios(const th_emu_scenario_info **out);
const th_emu_scenario_info *th_emu_find(const char *name);

typedef struct th_emu_options {
    uint64_t seed;
    int64_t start_ms; /* first instant of the period (UTC epoch ms) */
    int days;         /* length of the period */
    double rate;      /* background events per hour (average over the day) */
} th_emu_options;

/* One emulated record: the CloudTrail JSON object and its label line. */
typedef struct th_emu_record {
    int64_t time_ms;
    const char *json; /* compact JSON object, no newline */
    size_t json_len;
    const char *label; /* labels.ndjson line, no newline */
    size_t label_len;
} th_emu_record;

/* Receives the output as CloudTrail delivers it: one object per account,
 * region and 5-minute slice, records already shuffled. `delivery_ms` is the
 * end of the slice (the time in the object name), `suffix` the 16-character
 * random part of the object name. Return non-zero to stop the run. */
typedef struct th_emu_sink {
    void *ctx;
    int (*object)(void *ctx, const char *account, const char *region, int64_t delivery_ms,
                  const char *suffix, const th_emu_record *recs, size_t n);
} th_emu_sink;

typedef struct th_emu_stats {
    uint64_t records, malicious, objects, bytes;
} th_emu_stats;

/* True when a period of `days` from start_ms lies in 1970 .. 9999 (times have
 * four-digit years); else false with the allowed range in err. */
bool th_emu_start_ok(int64_t start_ms, int days, char *err, size_t errlen);
/* Runs the named scenarios over the period. Returns 0, or -1 with a message in
 * err (unknown scenario, bad options, or the sink asked to stop). */
int th_emu_run(const th_emu_options *o, const char *const *names, size_t n, const th_emu_sink *sink,
               th_emu_stats *stats, char *err, size_t errlen);

/* ---- writers ---------------------------------------------------------- */

/* Writes the S3 layout under dir (DIR/AWSLogs/<account>/CloudTrail/<region>/
 * YYYY/MM/DD/<account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<suffix>.json.gz) and
 * DIR/labels.ndjson; or NDJSON records to a stream (labels to an optional
 * second stream). */
typedef struct th_emu_writer th_emu_writer;
th_emu_writer *th_emu_writer_dir(const char *dir, char *err, size_t errlen);
th_emu_writer *th_emu_writer_stream(FILE *records, FILE *labels);
th_emu_sink th_emu_writer_sink(th_emu_writer *w);
/* Flushes and frees; returns 0, or -1 with a message if any write failed. */
int th_emu_writer_close(th_emu_writer *w, char *err, size_t errlen);

#endif
