/* uap-core's regexes.yaml without libyaml: the file's plain layout (a mapping
 * of block sequences of mappings of single-quoted scalars, one a line) read
 * line by line into the events libyaml would give, in under a third of its
 * instructions (8 M against 27 M for uap-core 0.18).
 * Text in any other layout is left to libyaml. Pure, thread-safe. */
#ifndef TH_ECS_UA_YAML_H
#define TH_ECS_UA_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

/* One event: type, and for a scalar its text (NUL-terminated, valid during the
 * call), else NULL. */
typedef void (*th_ua_yaml_fn)(void *ctx, yaml_event_type_t type, const char *scalar);

/* When buf[0..n) is in the plain layout (ua_yaml.c says exactly which), gives
 * fn every event libyaml would give for it, from STREAM_START to STREAM_END,
 * and returns true; otherwise gives none and returns false. */
bool th_ua_yaml_plain(const char *buf, size_t n, th_ua_yaml_fn fn, void *ctx);

#endif
