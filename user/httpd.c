// httpd.c: an HTTP/1.1 server: GET and HEAD of the files in /, keep-alive, a pool of worker processes, and the live /net page.
//
// usage: httpd [PORT]      (default 80)
// A pool of WORKERS processes, forked at the start, each accepts a
// connection and serves it to its end, then the next: no fork per
// connection, which would copy the process each time (the cost is in
// bench/results.md).
// "/" is /index.html; "/NAME" is the file NAME in the root directory (the
// file system has no subdirectories in the image); "/net" is generated:
// the interface's counters and the card's two rings, refreshed every
// two seconds by the browser.  A request head is bounded (REQ_MAX), its
// line too (LINE_MAX, else 414); anything malformed gets 400 (a request
// line with a control or non-ASCII byte too), a known method other than
// GET or HEAD 405, a method we do not know 501 (RFC 9110 15.6.2).  A
// connection gets FIRST_MS for its first request, then IDLE_MS between
// requests: a client's first bytes can be delayed on the host side (a
// connection QEMU's slirp accepted late), a keep-alive connection is
// idle by choice.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define REQ_MAX   4096     // request line and headers
#define LINE_MAX  1024     // request line (a longer one: 414)
#define FIRST_MS  20000    // time for the first request
#define IDLE_MS   5000     // keep-alive idle timeout
#define BACKLOG   64       // the kernel's largest (TCP_BACKLOG_MAX)
#define WORKERS   16       // connections served at once; more wait in the backlog

#define OUT_MAX   16384    // a response head and the first piece of its body
#define PAGE_MAX  16384    // the /net page

// Each worker's buffers.
struct bufs {
  char req[REQ_MAX + 1];
  char out[OUT_MAX];
  char page[PAGE_MAX];
  struct netinfo ni;
  struct ringinfo ri;
};
static struct bufs *b;

// ---- Responses.

static const char *
reason(int code)
{
  switch(code){
  case 200: return "OK";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 414: return "URI Too Long";
  case 501: return "Not Implemented";
  default:  return "Error";
  }
}

static const char *
content_type(const char *name)
{
  static const struct { const char *ext, *type; } types[] = {
    { ".html", "text/html; charset=utf-8" }, { ".txt", "text/plain; charset=utf-8" },
    { ".md", "text/plain; charset=utf-8" }, { ".css", "text/css" },
    { ".js", "text/javascript" }, { ".png", "image/png" }, { ".svg", "image/svg+xml" },
    { ".jpg", "image/jpeg" }, { ".ico", "image/x-icon" },
  };
  int n = strlen(name);

  for(int i = 0; i < (int)(sizeof(types) / sizeof(types[0])); i++){
    int k = strlen(types[i].ext);
    if(n >= k && strcmp(name + n - k, types[i].ext) == 0)
      return types[i].type;
  }
  return "application/octet-stream";
}

// The status line and headers into p; returns the end.
static char *
head(char *p, int code, const char *type, uint length, int keep)
{
  p = append_str(p, "HTTP/1.1 ");
  p = append_uint(p, code);
  p = append_str(p, " ");
  p = append_str(p, reason(code));
  p = append_str(p, "\r\nServer: xv6-net httpd\r\nContent-Type: ");
  p = append_str(p, type);
  p = append_str(p, "\r\nContent-Length: ");
  p = append_uint(p, length);
  if(code == 405)
    p = append_str(p, "\r\nAllow: GET, HEAD");
  p = append_str(p, keep ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
  return p;
}

// Send head and body (body may be 0 for HEAD); -1 if the connection failed.
static int
respond(int fd, int code, const char *type, const char *body, int len, int send_body, int keep)
{
  char *p = head(b->out, code, type, len, keep);

  if(send_body && body && p - b->out + len <= OUT_MAX){
    memmove(p, body, len);   // one write: one segment for a small page
    p += len;
    send_body = 0;
  }
  if(writeall(fd, b->out, p - b->out) < 0)
    return -1;
  if(send_body && body && writeall(fd, body, len) < 0)
    return -1;
  return 0;
}

static int
error_page(int fd, int code, int send_body, int keep)
{
  static char page[256];
  char *p = page;

  p = append_str(p, "<!DOCTYPE html>\n<html><head><title>");
  p = append_uint(p, code);
  p = append_str(p, "</title></head><body><h1>");
  p = append_uint(p, code);
  p = append_str(p, " ");
  p = append_str(p, reason(code));
  p = append_str(p, "</h1><p><a href=\"/\">xv6-net</a></p></body></html>\n");
  return respond(fd, code, "text/html; charset=utf-8", page, p - page, send_body, keep);
}

// A file of the root directory, in chunks.
static int
send_file(int fd, const char *name, int send_body, int keep)
{
  struct stat st;
  char *p;
  int f, n;

  if(strchr(name, '/') || name[0] == '.' || (f = open(name, O_RDONLY)) < 0)
    return error_page(fd, 404, send_body, keep);
  if(fstat(f, &st) < 0 || st.type != T_FILE){
    close(f);
    return error_page(fd, 404, send_body, keep);
  }
  p = head(b->out, 200, content_type(name), st.size, keep);
  // As much of the file as fits behind the head goes in the same write.
  while(send_body && (n = read(f, p, b->out + OUT_MAX - p)) > 0){
    if(writeall(fd, b->out, p - b->out + n) < 0){
      close(f);
      return -1;
    }
    p = b->out;
  }
  close(f);
  if(!send_body || p != b->out)
    return writeall(fd, b->out, p - b->out) < 0 ? -1 : 0;
  return 0;
}

// ---- The /net page.

static char *
counter_rows(char *p)
{
  for(int i = 0; i < b->ni.ncounters && i < NETINFO_MAXCOUNTERS; i++){
    p = append_str(p, "<tr><td>");
    p = append_str(p, b->ni.counters[i].name);
    p = append_str(p, "</td><td class=n id=\"");
    p = append_str(p, b->ni.counters[i].name);
    p = append_str(p, "\">");
    p = append_uint(p, b->ni.counters[i].value);
    p = append_str(p, "</td></tr>\n");
  }
  return p;
}

static int
dd(const uchar *map, int i)
{
  return map[i / 8] >> (i % 8) & 1;
}

// A ring's heading: "NAME: SIZE UNIT, A = a, B = b".
static char *
ring_title(char *p, const char *name, int size, const char *unit, const char *a, int av,
           const char *bn, int bv)
{
  p = append_str(p, "<h3>");
  p = append_str(p, name);
  p = append_str(p, ": ");
  p = append_uint(p, size);
  p = append_str(p, unit);
  p = append_str(p, a);
  p = append_str(p, " = ");
  p = append_uint(p, av);
  p = append_str(p, ", ");
  p = append_str(p, bn);
  p = append_str(p, " = ");
  p = append_uint(p, bv);
  return append_str(p, "</h3>\n");
}

// One ring, as rows of 32 slots: green where map has the slot (DD set, or
// the card holds it), and where head (H) and tail (T) are (-1: nowhere).
static char *
ring(char *p, int size, int h, int t, const uchar *map)
{
  p = append_str(p, "<table class=ring>");
  for(int row = 0; row < size; row += 32){
    p = append_str(p, "<tr><th>");
    p = append_uint(p, row);
    p = append_str(p, "</th>");
    for(int i = row; i < row + 32 && i < size; i++){
      p = append_str(p, dd(map, i) ? "<td class=dd" : "<td");
      if(i == h || i == t){
        p = append_str(p, " style=\"outline:2px solid ");
        p = append_str(p, i == h ? "#c00\">" : "#00c\">");
        p = append_str(p, i == h && i == t ? "HT" : i == h ? "H" : "T");
      } else {
        p = append_str(p, ">");
      }
      p = append_str(p, "</td>");
    }
    p = append_str(p, "</tr>\n");
  }
  return append_str(p, "</table>\n");
}

static int
net_page(int fd, int send_body, int keep)
{
  char *p = b->page;
  struct ringinfo *ri = &b->ri;

  if(netinfo(&b->ni) < 0 || ringinfo(ri) < 0)
    return error_page(fd, 404, send_body, keep);
  p = append_str(p, "<!DOCTYPE html>\n<html><head><meta charset=utf-8>"
                 "<meta http-equiv=refresh content=2><title>xv6-net: /net</title>"
                 "<style>body{font-family:sans-serif} td.n{text-align:right}"
                 "table.ring td{width:1.6em;height:1.2em;border:1px solid #999;"
                 "font-size:70%;text-align:center} td.dd{background:#6c6}"
                 "</style></head><body>\n<h1>xv6-net: the interface, live</h1>\n"
                 "<p>Uptime ");
  p = append_uint(p, uptime() / 100);
  if(ri->present && ri->kind == RING_VIRTIO){
    p = append_str(p, " s. This page reloads every 2 s. Green: the card holds it (offered in "
                   "the available ring, not yet back in the used ring). H: the one the card "
                   "takes next. T: the slot the driver fills next.</p>\n");
    p = ring_title(p, "Transmit queue", ri->tx_size, " slots (two descriptors each), ",
                   "avail-&gt;idx", ri->tx_avail, "used-&gt;idx", ri->tx_used);
    p = ring(p, ri->tx_size, ri->tx_head, ri->tx_tail, ri->tx_dd);
    p = ring_title(p, "Receive queue", ri->rx_size, " descriptors, ",
                   "avail-&gt;idx", ri->rx_avail, "used-&gt;idx", ri->rx_used);
    p = ring(p, ri->rx_size, ri->rx_head, ri->rx_tail, ri->rx_dd);
  } else if(ri->present){
    p = append_str(p, " s. This page reloads every 2 s. Green: DD set. H: head (the card), "
                   "T: tail (the driver).</p>\n");
    p = ring_title(p, "Transmit ring", ri->tx_size, " slots, ", "TDH", ri->tx_head,
                   "TDT", ri->tx_tail);
    p = ring(p, ri->tx_size, ri->tx_head, ri->tx_tail, ri->tx_dd);
    p = ring_title(p, "Receive ring", ri->rx_size, " slots, ", "RDH", ri->rx_head,
                   "RDT", ri->rx_tail);
    p = ring(p, ri->rx_size, ri->rx_head, ri->rx_tail, ri->rx_dd);
  } else {
    p = append_str(p, " s. This page reloads every 2 s.</p>\n");
  }
  p = append_str(p, "<h2>Counters</h2>\n<table id=counters>\n");
  p = counter_rows(p);
  p = append_str(p, "</table>\n</body></html>\n");
  return respond(fd, 200, "text/html; charset=utf-8", b->page, p - b->page, send_body, keep);
}

// ---- Requests.

// Is the request line (up to the first '\n' in req[0..len)) plain ASCII
// text, with no NUL or other control byte but its closing '\r'?
static int
line_ok(const char *req, int len)
{
  for(int i = 0; i < len && req[i] != '\n'; i++){
    uchar c = req[i];
    if(c >= 0x7f || (c < ' ' && !(c == '\r' && i + 1 < len && req[i + 1] == '\n')))
      return 0;
  }
  return 1;
}

// A method of HTTP (RFC 9110 9.3, and PATCH) that we do not serve: 405.
// Any other is one we do not know: 501.
static int
known_method(const char *m)
{
  static const char *known[] = { "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH" };

  for(int i = 0; i < (int)(sizeof(known) / sizeof(known[0])); i++)
    if(strcmp(m, known[i]) == 0)
      return 1;
  return 0;
}

// Answer the request whose head is req[0..len) (NUL-terminated at its
// end).  1 to keep the connection, 0 to close it, -1 if it failed.
static int
serve(int fd, int len)
{
  char *method, *path, *version, *sp, *line, *eol;
  int get, keep, r;

  if(!line_ok(b->req, len))
    return error_page(fd, 400, 1, 0) < 0 ? -1 : 0;
  line = strchr(b->req, '\n');
  if(line - b->req > LINE_MAX){
    error_page(fd, 414, 1, 0);
    return 0;
  }
  *line = 0;
  method = b->req;
  if((sp = strchr(method, ' ')) == 0)
    return error_page(fd, 400, 1, 0) < 0 ? -1 : 0;
  *sp = 0;
  path = sp + 1;
  if((sp = strchr(path, ' ')) == 0)
    return error_page(fd, 400, 1, 0) < 0 ? -1 : 0;
  *sp = 0;
  version = sp + 1;
  if((eol = strchr(version, '\r')) != 0)
    *eol = 0;
  if(strcmp(version, "HTTP/1.1") != 0 && strcmp(version, "HTTP/1.0") != 0)
    return error_page(fd, 400, 1, 0) < 0 ? -1 : 0;
  keep = strcmp(version, "HTTP/1.1") == 0;
  for(line = line + 1; line < b->req + len; line = eol + 1){
    if((eol = strchr(line, '\n')) == 0)
      break;
    if(header_is(line, "connection:")){
      if(header_is(line + 11 + (line[11] == ' '), "close"))
        keep = 0;
      else if(header_is(line + 11 + (line[11] == ' '), "keep-alive"))
        keep = 1;
    }
  }
  get = strcmp(method, "GET") == 0;
  if(!get && strcmp(method, "HEAD") != 0)
    r = error_page(fd, known_method(method) ? 405 : 501, 1, keep);
  else if(path[0] != '/')
    r = error_page(fd, 400, get, keep);
  else if(strcmp(path, "/") == 0)
    r = send_file(fd, "index.html", get, keep);
  else if(strcmp(path, "/net") == 0)
    r = net_page(fd, get, keep);
  else
    r = send_file(fd, path + 1, get, keep);
  return r < 0 ? -1 : keep;
}

// The end of the request head in req[0..n), or 0.
static char *
head_end(int n)
{
  char *r = b->req;

  for(int i = 3; i < n; i++)
    if(r[i - 3] == '\r' && r[i - 2] == '\n' && r[i - 1] == '\r' && r[i] == '\n')
      return r + i + 1;
  return 0;
}

// One connection: requests until the client closes, asks to, or idles.
static void
connection(int fd)
{
  int n = 0, r, used, served = 0;
  char *end;

  sockopt(fd, SO_RCVTIMEO, FIRST_MS);
  for(;;){
    while((end = head_end(n)) == 0){
      if(n == REQ_MAX){
        // No end in sight: a line too long, or too many headers.
        error_page(fd, strchr(b->req, '\n') == 0 ? 414 : 400, 1, 0);
        return;
      }
      if((r = read(fd, b->req + n, REQ_MAX - n)) <= 0)
        return;   // closed, reset or idle: nothing to answer
      n += r;
      b->req[n] = 0;
    }
    used = end - b->req;
    end[-1] = 0;
    if(serve(fd, used) <= 0)
      return;
    if(served++ == 0)
      sockopt(fd, SO_RCVTIMEO, IDLE_MS);   // from now on, idle by choice
    // Pipelined requests: keep what followed this one.
    memmove(b->req, b->req + used, n - used);
    n -= used;
    b->req[n] = 0;
  }
}

// Serve connection after connection.
static void
worker(int lfd)
{
  int fd, rport;
  uint raddr;

  if((b = malloc(sizeof(*b))) == 0){
    fprintf(2, "httpd: no memory for a worker\n");
    exit(1);
  }
  for(;;){
    if((fd = accept(lfd, &raddr, &rport)) < 0){
      fprintf(2, "httpd: accept failed: %s\n", sockerrstr(lfd));
      exit(1);
    }
    connection(fd);
    close(fd);
  }
}

static int
spawn(int lfd)
{
  int pid = fork();

  if(pid == 0)
    worker(lfd);
  if(pid < 0)
    fprintf(2, "httpd: fork failed: one worker fewer\n");
  return pid;
}

int
main(int argc, char *argv[])
{
  int lfd, port = 80, workers = 0;

  if(argc > 2 || (argc == 2 && (port = parseport(argv[1])) < 0)){
    fprintf(2, "usage: httpd [PORT]\n");
    exit(1);
  }
  if((lfd = socket(SOCK_TCP)) < 0 || bind(lfd, port) != port || listen(lfd, BACKLOG) < 0){
    fprintf(2, "httpd: cannot listen on port %d: %s\n", port,
            lfd < 0 ? "no socket" : sockerrstr(lfd));
    exit(1);
  }
  for(int i = 0; i < WORKERS; i++)
    workers += spawn(lfd) > 0;
  if(workers == 0)
    exit(1);
  printf("httpd: listening on port %d\n", port);
  // A worker that died (out of memory, say) is replaced.
  while(wait(0) > 0)
    if(spawn(lfd) < 0)
      sleep(100);
  exit(1);
}
