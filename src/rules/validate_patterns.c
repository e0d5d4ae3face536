/* The value patterns of the detection-rules schema (schemas/definitions.py),
 * hand-written: each is a fixed shape, so a regex engine would only add cost.
 * Pure functions; no allocation. */
#include <string.h>

#include "rules/validate_internal.h"

static bool isdig(char c)
{
    return c >= '0' && c <= '9';
}
static bool ishex(char c)
{
    return isdig(c) || (c >= 'a' && c <= 'f');
}
static bool isalnum_(char c)
{
    return isdig(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool v_is_uuid(const char *s, size_t n)
{
    /* definitions.py: lower-case hex, 8-4-4-4-12 */
    static const size_t groups[] = {8, 4, 4, 4, 12};
    size_t p = 0;
    for (size_t g = 0; g < 5; g++) {
        if (g) {
            if (p >= n || s[p] != '-')
                return false;
            p++;
        }
        for (size_t i = 0; i < groups[g]; i++, p++)
            if (p >= n || !ishex(s[p]))
                return false;
    }
    return p == n;
}

bool v_is_date(const char *s, size_t n)
{
    if (n != 10 || s[4] != '/' || s[7] != '/')
        return false;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdig(s[i]))
            return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    int dim = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    return d <= dim;
}

static bool digits_then_unit(const char *s, size_t n, const char *units)
{
    size_t i = 0;
    while (i < n && isdig(s[i]))
        i++;
    return i > 0 && i + 1 == n && s[i] && strchr(units, s[i]) != NULL;
}

bool v_is_interval(const char *s, size_t n)
{
    return digits_then_unit(s, n, "mshd");
}

bool v_is_from(const char *s, size_t n)
{
    return n > 4 && memcmp(s, "now-", 4) == 0 && digits_then_unit(s + 4, n - 4, "yMwdhHms");
}

static bool isword(char c)
{
    return isalnum_(c) || c == '_';
}

bool v_is_semver(const char *s, size_t n)
{
    size_t i = 0, d = 0;
    while (i < n && isdig(s[i]))
        i++, d++;
    if (!d || i >= n || s[i] != '.')
        return false;
    i++;
    d = 0;
    while (i < n && isdig(s[i]))
        i++, d++;
    if (!d)
        return false;
    while (i < n) { /* (\.\d+[\w-]*)* */
        if (s[i] != '.')
            return false;
        i++;
        d = 0;
        while (i < n && isdig(s[i]))
            i++, d++;
        if (!d)
            return false;
        while (i < n && (isword(s[i]) || s[i] == '-'))
            i++;
    }
    return true;
}

bool v_is_rule_name(const char *s, size_t n)
{
    if (n < 3 || !isalnum_(s[0]))
        return false;
    char last = s[n - 1];
    if (!isalnum_(last) && !strchr("[]()", last))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (s[i] == '\n') /* '.' does not match a newline */
            return false;
    return true;
}

int v_semver_cmp(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b), i = 0, j = 0;
    while (i < an || j < bn) {
        long x = 0, y = 0;
        while (i < an && isdig(a[i]))
            x = x * 10 + (a[i++] - '0');
        while (j < bn && isdig(b[j]))
            y = y * 10 + (b[j++] - '0');
        if (x != y)
            return x < y ? -1 : 1;
        while (i < an && a[i] != '.')
            i++;
        while (j < bn && b[j] != '.')
            j++;
        if (i < an)
            i++;
        if (j < bn)
            j++;
        if (x > 100000 || y > 100000)
            break;
    }
    return 0;
}
