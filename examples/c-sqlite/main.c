/*
 * c-sqlite: a tiny HTTP/1.1 log service in C11 backed by SQLite.
 *
 *   GET  /health -> 200 {"status":"ok"} (runs SELECT 1) or 503 {"status":"error"}
 *   POST /logs   -> 201 {"id":N,"message":"..."}   (body {"message":"text"})
 *   GET  /logs   -> 200 [{"id":1,"message":"..."}, ...]
 *   anything else -> 404
 *
 * One request per connection ("Connection: close"), one connection at a
 * time. Listens on 0.0.0.0:$PORT (default 8080) and exits with status 0 on
 * SIGTERM or SIGINT. The database file is $DATABASE_PATH (default app.db in
 * the working directory); its directory must exist.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <sqlite3.h>

#define DEFAULT_PORT 8080
#define MAX_HEADER_BYTES 8192
#define MAX_BODY_BYTES (64 * 1024)
#define IO_TIMEOUT_SECONDS 5
#define MAX_JSON_DEPTH 64

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* ------------------------------------------------------------------------ */
/* Growable byte buffer                                                     */
/* ------------------------------------------------------------------------ */

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} buf_t;

static bool buf_append(buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return false;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

static bool buf_puts(buf_t *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

static void buf_free(buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                     */
/* ------------------------------------------------------------------------ */

/* Appends s (valid UTF-8) as a quoted JSON string. */
static bool json_append_string(buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!buf_append(b, "\"", 1))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        const char *out = esc;
        size_t out_len = 2;
        switch (c) {
        case '"': out = "\\\""; break;
        case '\\': out = "\\\\"; break;
        case '\b': out = "\\b"; break;
        case '\f': out = "\\f"; break;
        case '\n': out = "\\n"; break;
        case '\r': out = "\\r"; break;
        case '\t': out = "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                esc[0] = '\\';
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 0xf];
                out_len = 6;
            } else {
                esc[0] = (char)c;
                out_len = 1;
            }
        }
        if (!buf_append(b, out, out_len))
            return false;
    }
    return buf_append(b, "\"", 1);
}

/* Length of the valid UTF-8 sequence at p (at most end - p bytes), or 0. */
static size_t utf8_sequence_length(const unsigned char *p, const unsigned char *end)
{
    size_t n;
    uint32_t cp;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        cp = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        cp = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0; /* overlong, out of range or surrogate */
    return n;
}

static bool utf8_encode(buf_t *b, uint32_t cp)
{
    char s[4];
    size_t n;
    if (cp < 0x80) {
        s[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        s[0] = (char)(0xc0 | (cp >> 6));
        s[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        s[0] = (char)(0xe0 | (cp >> 12));
        s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        s[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        s[0] = (char)(0xf0 | (cp >> 18));
        s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        s[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return buf_append(b, s, n);
}

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
    bool oom;
} json_parser;

static void json_skip_ws(json_parser *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

static bool json_hex4(json_parser *jp, uint32_t *out)
{
    uint32_t v = 0;
    if (jp->end - jp->p < 4)
        return false;
    for (int i = 0; i < 4; i++) {
        unsigned char c = *jp->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return false;
    }
    *out = v;
    return true;
}

/*
 * Parses a JSON string at jp->p (which must point at '"'), decoding escapes
 * into out (if out is not NULL). Rejects control characters, invalid UTF-8,
 * unpaired surrogates and \u0000 (messages are stored as C strings).
 */
static bool json_parse_string(json_parser *jp, buf_t *out)
{
    if (jp->p >= jp->end || *jp->p != '"')
        return false;
    jp->p++;
    while (jp->p < jp->end) {
        unsigned char c = *jp->p;
        if (c == '"') {
            jp->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (jp->end - jp->p < 2)
                return false;
            char e = (char)jp->p[1];
            jp->p += 2;
            const char *lit = NULL;
            switch (e) {
            case '"': lit = "\""; break;
            case '\\': lit = "\\"; break;
            case '/': lit = "/"; break;
            case 'b': lit = "\b"; break;
            case 'f': lit = "\f"; break;
            case 'n': lit = "\n"; break;
            case 'r': lit = "\r"; break;
            case 't': lit = "\t"; break;
            case 'u': {
                uint32_t cp;
                if (!json_hex4(jp, &cp))
                    return false;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    uint32_t lo;
                    if (jp->end - jp->p < 6 || jp->p[0] != '\\' || jp->p[1] != 'u')
                        return false;
                    jp->p += 2;
                    if (!json_hex4(jp, &lo) || lo < 0xdc00 || lo > 0xdfff)
                        return false;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if ((cp >= 0xdc00 && cp <= 0xdfff) || cp == 0) {
                    return false;
                }
                if (out && !utf8_encode(out, cp)) {
                    jp->oom = true;
                    return false;
                }
                continue;
            }
            default:
                return false;
            }
            if (out && !buf_append(out, lit, 1)) {
                jp->oom = true;
                return false;
            }
            continue;
        }
        size_t n = utf8_sequence_length(jp->p, jp->end);
        if (n == 0)
            return false;
        if (out && !buf_append(out, (const char *)jp->p, n)) {
            jp->oom = true;
            return false;
        }
        jp->p += n;
    }
    return false; /* unterminated */
}

static bool json_skip_literal(json_parser *jp, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, lit, n) != 0)
        return false;
    jp->p += n;
    return true;
}

static bool json_skip_digits(json_parser *jp)
{
    const unsigned char *start = jp->p;
    while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
        jp->p++;
    return jp->p > start;
}

static bool json_skip_number(json_parser *jp)
{
    if (jp->p < jp->end && *jp->p == '-')
        jp->p++;
    if (jp->p < jp->end && *jp->p == '0')
        jp->p++;
    else if (!json_skip_digits(jp))
        return false;
    if (jp->p < jp->end && *jp->p == '.') {
        jp->p++;
        if (!json_skip_digits(jp))
            return false;
    }
    if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
        jp->p++;
        if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
            jp->p++;
        if (!json_skip_digits(jp))
            return false;
    }
    return true;
}

/* Validates and skips any JSON value (objects/arrays nested at most MAX_JSON_DEPTH). */
static bool json_skip_value(json_parser *jp, int depth)
{
    if (depth > MAX_JSON_DEPTH)
        return false;
    json_skip_ws(jp);
    if (jp->p >= jp->end)
        return false;
    switch (*jp->p) {
    case '"':
        return json_parse_string(jp, NULL);
    case 't':
        return json_skip_literal(jp, "true");
    case 'f':
        return json_skip_literal(jp, "false");
    case 'n':
        return json_skip_literal(jp, "null");
    case '{':
    case '[': {
        bool object = *jp->p == '{';
        unsigned char close = object ? '}' : ']';
        jp->p++;
        json_skip_ws(jp);
        if (jp->p < jp->end && *jp->p == close) {
            jp->p++;
            return true;
        }
        for (;;) {
            if (object) {
                json_skip_ws(jp);
                if (!json_parse_string(jp, NULL))
                    return false;
                json_skip_ws(jp);
                if (jp->p >= jp->end || *jp->p != ':')
                    return false;
                jp->p++;
            }
            if (!json_skip_value(jp, depth + 1))
                return false;
            json_skip_ws(jp);
            if (jp->p >= jp->end)
                return false;
            if (*jp->p == close) {
                jp->p++;
                return true;
            }
            if (*jp->p != ',')
                return false;
            jp->p++;
        }
    }
    default:
        return json_skip_number(jp);
    }
}

typedef enum { PARSE_OK, PARSE_BAD, PARSE_OOM } parse_result;

/*
 * Extracts the "message" string from a JSON object body into msg. Other
 * members are validated and ignored. On PARSE_BAD *err says why.
 */
static parse_result parse_message(const char *body, size_t len, buf_t *msg, const char **err)
{
    json_parser jp = {(const unsigned char *)body, (const unsigned char *)body + len, false};
    buf_t key = {0};
    bool have_message = false;
    parse_result result = PARSE_BAD;

    *err = "body must be a JSON object like {\"message\":\"text\"}";
    json_skip_ws(&jp);
    if (jp.p >= jp.end || *jp.p != '{')
        goto done;
    jp.p++;
    json_skip_ws(&jp);
    if (jp.p < jp.end && *jp.p == '}') {
        jp.p++;
    } else {
        for (;;) {
            json_skip_ws(&jp);
            key.len = 0;
            if (!json_parse_string(&jp, &key))
                goto done;
            json_skip_ws(&jp);
            if (jp.p >= jp.end || *jp.p != ':')
                goto done;
            jp.p++;
            json_skip_ws(&jp);
            if (key.len == 7 && memcmp(key.data, "message", 7) == 0) {
                /* Like JSON.parse, a repeated key overrides earlier ones. */
                msg->len = 0;
                have_message = false;
                if (jp.p < jp.end && *jp.p == '"') {
                    if (!json_parse_string(&jp, msg))
                        goto done;
                    have_message = true;
                } else if (!json_skip_value(&jp, 1)) {
                    goto done;
                }
            } else if (!json_skip_value(&jp, 1)) {
                goto done;
            }
            json_skip_ws(&jp);
            if (jp.p >= jp.end)
                goto done;
            if (*jp.p == '}') {
                jp.p++;
                break;
            }
            if (*jp.p != ',')
                goto done;
            jp.p++;
        }
    }
    json_skip_ws(&jp);
    if (jp.p != jp.end)
        goto done; /* trailing garbage */
    if (!have_message) {
        *err = "\"message\" must be a string";
        goto done;
    }
    if (msg->len == 0) {
        *err = "\"message\" must not be empty";
        goto done;
    }
    result = PARSE_OK;
done:
    if (jp.oom)
        result = PARSE_OOM;
    buf_free(&key);
    return result;
}

/* ------------------------------------------------------------------------ */
/* Storage: SQLite                                                          */
/* ------------------------------------------------------------------------ */

static sqlite3 *db;

/* Opens $DATABASE_PATH (default app.db) and creates the logs table. */
static bool store_open(void)
{
    const char *path = getenv("DATABASE_PATH");
    if (!path || !*path)
        path = "app.db";
    /* SQLITE_OPEN_CREATE creates the file but never its directory. */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        fprintf(stderr, "cannot open database %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        db = NULL;
        return false;
    }
    sqlite3_busy_timeout(db, 5000);
    static const char schema[] = "CREATE TABLE IF NOT EXISTS logs ("
                                 " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                 " message TEXT NOT NULL,"
                                 " created_at TEXT DEFAULT CURRENT_TIMESTAMP)";
    char *err = NULL;
    if (sqlite3_exec(db, schema, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "cannot create table in %s: %s\n", path, err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        sqlite3_close(db);
        db = NULL;
        return false;
    }
    return true;
}

static void store_close(void)
{
    sqlite3_close(db);
    db = NULL;
}

/* Health check: the database must answer SELECT 1. */
static bool store_ping(void)
{
    sqlite3_stmt *st;
    bool ok = false;
    if (sqlite3_prepare_v2(db, "SELECT 1", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "health check: %s\n", sqlite3_errmsg(db));
        return false;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1)
        ok = true;
    else
        fprintf(stderr, "health check: %s\n", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return ok;
}

static bool store_add(const char *message, size_t len, long long *id)
{
    sqlite3_stmt *st;
    bool ok = false;
    if (sqlite3_prepare_v2(db, "INSERT INTO logs (message) VALUES (?)", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "insert: %s\n", sqlite3_errmsg(db));
        return false;
    }
    if (sqlite3_bind_text64(st, 1, message, len, SQLITE_TRANSIENT, SQLITE_UTF8) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_DONE) {
        *id = (long long)sqlite3_last_insert_rowid(db);
        ok = true;
    } else {
        fprintf(stderr, "insert: %s\n", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return ok;
}

/* Appends all entries as a JSON array, ordered by id. */
static bool store_list_json(buf_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT id, message FROM logs ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "list: %s\n", sqlite3_errmsg(db));
        return false;
    }
    bool ok = buf_puts(out, "[");
    int rc = SQLITE_DONE;
    for (size_t i = 0; ok && (rc = sqlite3_step(st)) == SQLITE_ROW; i++) {
        char head[48];
        const char *msg = (const char *)sqlite3_column_text(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        snprintf(head, sizeof head, "%s{\"id\":%lld,\"message\":", i ? "," : "",
                 (long long)sqlite3_column_int64(st, 0));
        ok = buf_puts(out, head) && json_append_string(out, msg ? msg : "", msg ? len : 0) &&
             buf_puts(out, "}");
    }
    if (ok && rc != SQLITE_DONE) {
        fprintf(stderr, "list: %s\n", sqlite3_errmsg(db));
        ok = false;
    }
    sqlite3_finalize(st);
    return ok && buf_puts(out, "]");
}

/* ------------------------------------------------------------------------ */
/* HTTP                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct {
    char method[16];
    char path[1024];
    const char *body;
    size_t body_len;
} request_t;

static const char *status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void send_response(int fd, int status, const char *body, size_t body_len)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n"
                     "\r\n",
                     status, status_text(status), body_len);
    if (write_all(fd, head, (size_t)n))
        write_all(fd, body, body_len);
}

/* Sends {"error":"<message>"}; message must not need JSON escaping. */
static void send_error(int fd, int status, const char *message)
{
    char body[256];
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", message);
    send_response(fd, status, body, (size_t)n);
}

/* Position just past the first "\r\n\r\n" in buf[0..len), or 0 if none. */
static size_t find_header_end(const char *buf, size_t len)
{
    for (size_t i = 3; i < len; i++)
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
            return i + 1;
    return 0;
}

/* Reads more bytes; returns the count, 0 on EOF, -1 on error or timeout. */
static ssize_t read_some(int fd, char *buf, size_t cap)
{
    for (;;) {
        ssize_t r = recv(fd, buf, cap, 0);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

static bool token_equals(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/*
 * Reads one request from fd into raw (MAX_HEADER_BYTES + MAX_BODY_BYTES
 * bytes). Returns 0 on success, an HTTP status to answer with on a bad
 * request, or -1 if the connection should just be closed.
 */
static int read_request(int fd, char *raw, size_t raw_cap, request_t *req)
{
    size_t len = 0, header_end = 0;

    while (header_end == 0) {
        size_t want = raw_cap - len;
        ssize_t r = read_some(fd, raw + len, want);
        if (r <= 0)
            return len > 0 && r < 0 ? 408 : -1;
        size_t search_from = len > 3 ? len - 3 : 0;
        len += (size_t)r;
        size_t e = find_header_end(raw + search_from, len - search_from);
        if (e)
            header_end = search_from + e;
        else if (len >= MAX_HEADER_BYTES)
            return 431;
    }
    if (header_end > MAX_HEADER_BYTES)
        return 431;

    if (memchr(raw, '\0', header_end))
        return 400;
    raw[header_end - 2] = '\0'; /* header section is now a C string ending in CRLF */

    /* Request line: METHOD SP request-target SP HTTP-version CRLF */
    const char *line = raw;
    const char *eol = strstr(line, "\r\n");
    const char *sp1 = memchr(line, ' ', (size_t)(eol - line));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (!sp1 || !sp2)
        return 400;
    size_t method_len = (size_t)(sp1 - line), target_len = (size_t)(sp2 - sp1 - 1);
    if (method_len == 0 || method_len >= sizeof req->method)
        return 400;
    for (size_t i = 0; i < method_len; i++)
        if (line[i] < 'A' || line[i] > 'Z')
            return 400;
    if (!token_equals(sp2 + 1, (size_t)(eol - sp2 - 1), "HTTP/1.1") &&
        !token_equals(sp2 + 1, (size_t)(eol - sp2 - 1), "HTTP/1.0"))
        return 400;
    if (target_len == 0 || sp1[1] != '/')
        return 400;
    size_t path_len = 0;
    while (path_len < target_len && sp1[1 + path_len] != '?')
        path_len++;
    if (path_len >= sizeof req->path)
        return 404; /* no route is that long */
    memcpy(req->method, line, method_len);
    req->method[method_len] = '\0';
    memcpy(req->path, sp1 + 1, path_len);
    req->path[path_len] = '\0';

    /* Header fields */
    bool have_length = false, expect_continue = false;
    size_t content_length = 0;
    const char *h = eol + 2;
    while (*h) {
        const char *end = strstr(h, "\r\n");
        if (!end)
            end = h + strlen(h);
        const char *colon = memchr(h, ':', (size_t)(end - h));
        if (!colon || colon == h || *h == ' ' || *h == '\t')
            return 400; /* no name, or obsolete line folding */
        size_t name_len = (size_t)(colon - h);
        const char *v = colon + 1;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        const char *v_end = end;
        while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t'))
            v_end--;
        size_t v_len = (size_t)(v_end - v);

        if (token_equals(h, name_len, "Content-Length")) {
            size_t n = 0;
            if (v_len == 0 || v_len > 10)
                return v_len > 10 ? 413 : 400;
            for (size_t i = 0; i < v_len; i++) {
                if (v[i] < '0' || v[i] > '9')
                    return 400;
                n = n * 10 + (size_t)(v[i] - '0');
            }
            if (have_length && n != content_length)
                return 400;
            have_length = true;
            content_length = n;
        } else if (token_equals(h, name_len, "Transfer-Encoding")) {
            return 501; /* chunked bodies are not supported */
        } else if (token_equals(h, name_len, "Expect")) {
            expect_continue = token_equals(v, v_len, "100-continue");
        }
        h = *end ? end + 2 : end;
    }
    if (content_length > MAX_BODY_BYTES)
        return 413;

    /* Body: part of it may already be in raw after the header section. */
    size_t have = len - header_end;
    if (have < content_length && expect_continue) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (!write_all(fd, cont, sizeof cont - 1))
            return -1;
    }
    while (have < content_length) {
        ssize_t r = read_some(fd, raw + len, raw_cap - len);
        if (r <= 0)
            return r < 0 ? 408 : -1;
        len += (size_t)r;
        have += (size_t)r;
    }
    req->body = raw + header_end;
    req->body_len = content_length;
    return 0;
}

static void handle_request(int fd, const request_t *req)
{
    bool get = strcmp(req->method, "GET") == 0;
    bool post = strcmp(req->method, "POST") == 0;

    if (get && strcmp(req->path, "/health") == 0) {
        if (store_ping()) {
            static const char ok[] = "{\"status\":\"ok\"}";
            send_response(fd, 200, ok, sizeof ok - 1);
        } else {
            static const char bad[] = "{\"status\":\"error\"}";
            send_response(fd, 503, bad, sizeof bad - 1);
        }
    } else if (get && strcmp(req->path, "/logs") == 0) {
        buf_t out = {0};
        if (store_list_json(&out))
            send_response(fd, 200, out.data, out.len);
        else
            send_error(fd, 500, "internal error");
        buf_free(&out);
    } else if (post && strcmp(req->path, "/logs") == 0) {
        buf_t msg = {0}, out = {0};
        const char *err;
        long long id;
        parse_result pr = parse_message(req->body, req->body_len, &msg, &err);
        if (pr == PARSE_BAD) {
            buf_t body = {0};
            if (buf_puts(&body, "{\"error\":") && json_append_string(&body, err, strlen(err)) &&
                buf_puts(&body, "}"))
                send_response(fd, 400, body.data, body.len);
            else
                send_error(fd, 500, "internal error");
            buf_free(&body);
        } else if (pr == PARSE_OOM || !store_add(msg.data, msg.len, &id)) {
            send_error(fd, 500, "internal error");
        } else {
            char head[48];
            snprintf(head, sizeof head, "{\"id\":%lld,\"message\":", id);
            if (buf_puts(&out, head) && json_append_string(&out, msg.data, msg.len) &&
                buf_puts(&out, "}"))
                send_response(fd, 201, out.data, out.len);
            else
                send_error(fd, 500, "internal error");
        }
        buf_free(&msg);
        buf_free(&out);
    } else {
        send_error(fd, 404, "not found");
    }
}

static void set_timeouts(int fd, int seconds)
{
    struct timeval tv = {.tv_sec = seconds, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void handle_connection(int fd)
{
    static char raw[MAX_HEADER_BYTES + MAX_BODY_BYTES];
    request_t req;

    set_timeouts(fd, IO_TIMEOUT_SECONDS);
    int status = read_request(fd, raw, sizeof raw, &req);
    if (status == 0) {
        handle_request(fd, &req);
    } else if (status > 0) {
        const char *msg;
        switch (status) {
        case 404: msg = "not found"; break;
        case 408: msg = "request timeout"; break;
        case 413: msg = "body too large"; break;
        case 431: msg = "headers too large"; break;
        case 501: msg = "transfer-encoding not supported"; break;
        default: msg = "bad request"; break;
        }
        send_error(fd, status, msg);
        /*
         * Part of the request is still unread; closing now could reset the
         * connection before the client reads our answer. Half-close and
         * drain briefly first.
         */
        shutdown(fd, SHUT_WR);
        set_timeouts(fd, 1);
        for (size_t drained = 0; drained < 1024 * 1024;) {
            ssize_t r = read_some(fd, raw, sizeof raw);
            if (r <= 0)
                break;
            drained += (size_t)r;
        }
    }
    close(fd);
}

/* ------------------------------------------------------------------------ */
/* Main                                                                     */
/* ------------------------------------------------------------------------ */

static int parse_port(const char *s)
{
    if (!s || !*s)
        return DEFAULT_PORT;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > 65535)
        return -1;
    return (int)v;
}

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("socket");
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons((uint16_t)port);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 64) < 0) {
        perror("bind/listen");
        close(fd);
        return -1;
    }
    /* Non-blocking, so accept() after select() never hangs on an aborted connection. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal; /* no SA_RESTART: blocking calls return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int port = parse_port(getenv("PORT"));
    if (port < 0) {
        fprintf(stderr, "invalid PORT %s\n", getenv("PORT"));
        return 1;
    }
    if (!store_open())
        return stop_requested ? 0 : 1; /* a signal while waiting is a clean stop */
    int lfd = listen_on(port);
    if (lfd < 0) {
        store_close();
        return 1;
    }
    struct sockaddr_in bound;
    socklen_t bound_len = sizeof bound;
    if (getsockname(lfd, (struct sockaddr *)&bound, &bound_len) == 0)
        port = ntohs(bound.sin_port);
    printf("listening on :%d\n", port);

    /*
     * Keep SIGTERM/SIGINT blocked except while waiting in pselect(), so a
     * signal can never slip in between checking stop_requested and waiting.
     */
    sigset_t block, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);

    while (!stop_requested) {
        fd_set rfds;
        FD_ZERO(&rfds);
        FD_SET(lfd, &rfds);
        int r = pselect(lfd + 1, &rfds, NULL, NULL, NULL, &waitmask);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            perror("pselect");
            break;
        }
        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                perror("accept");
            continue;
        }
        fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) & ~O_NONBLOCK);
        handle_connection(cfd);
    }

    printf("shutting down\n");
    close(lfd);
    store_close();
    return 0;
}
