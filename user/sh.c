// sh.c: the shell; reads a line, parses it into a command tree, then runs the tree.
#include "kernel/types.h"
#include "kernel/param.h"
#include "user/user.h"

#define MAXLINE  512
#define MAXTOK   128
// Every node consumes a token of its own, except a sequence node, which
// joins two items that each own one; so nodes never outnumber 2 * tokens.
#define MAXNODES (2 * MAXTOK)

#define OPERATORS "|<>;&()"
#define TOK_WORD  'w'
#define TOK_END   0

struct token {
  int kind;       // TOK_WORD, TOK_END or the operator character itself
  char *text;     // TOK_WORD only
};

enum nodekind { N_EXEC, N_PIPE, N_SEQ, N_BACK, N_SUB };

struct node {
  enum nodekind kind;
  struct node *left;    // N_PIPE, N_SEQ: first part; N_BACK, N_SUB: the body
  struct node *right;   // N_PIPE, N_SEQ: second part
  char **argv;          // N_EXEC: slice of argpool, null-terminated
  char *infile;         // N_EXEC, N_SUB: '<' target (the last one wins)
  char *outfile;        // N_EXEC, N_SUB: '>' target
};

// Everything parsed from one line lives in these static pools and is
// simply forgotten when the next line is read.
static char line[MAXLINE];
static char words[MAXLINE];
static struct token toks[MAXTOK + 1];
static struct node nodes[MAXNODES];
static char *argpool[2 * MAXTOK];
static int pos, nnodes, nargs;
static const char *parseerr;

static int runlist(struct node *n);
static void runchild(struct node *n) __attribute__((noreturn));

// ---- reading ----

// Returns the line length, -1 at end of input, -2 if the line was too long.
static int
readline(void)
{
  int n = 0;
  char c = 0;

  for(;;){
    if(read(0, &c, 1) < 1)
      break;
    if(c == '\n')
      break;
    if(n < MAXLINE - 1)
      line[n] = c;
    n++;
  }
  if(n == 0 && c != '\n')
    return -1;
  if(n >= MAXLINE)
    return -2;
  line[n] = 0;
  return n;
}

// ---- tokens ----

static int
blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
fail(const char *msg)
{
  if(parseerr == 0)
    parseerr = msg;
}

// Copy one word from s into w, removing quotes; returns the rest of s.
static char *
scanword(char *s, char **w)
{
  char q;

  while(*s && !blank(*s) && strchr(OPERATORS, *s) == 0){
    if(*s != '"' && *s != '\''){
      *(*w)++ = *s++;
      continue;
    }
    q = *s++;
    while(*s && *s != q)
      *(*w)++ = *s++;
    if(*s == 0){
      fail("unterminated quote");
      break;
    }
    s++;
  }
  *(*w)++ = 0;
  return s;
}

static void
tokenize(char *s)
{
  char *w = words;
  int ntoks = 0;

  for(;;){
    while(blank(*s))
      s++;
    if(*s == 0)
      break;
    if(ntoks == MAXTOK){
      fail("too many words");
      break;
    }
    if(strchr(OPERATORS, *s)){
      toks[ntoks].kind = *s++;
    } else {
      toks[ntoks].kind = TOK_WORD;
      toks[ntoks].text = w;
      s = scanword(s, &w);
    }
    ntoks++;
  }
  toks[ntoks].kind = TOK_END;
}

// ---- parsing ----
//   list     := { pipeline [';' | '&'] }
//   pipeline := command { '|' command }
//   command  := '(' list ')' redirs | { word | redir }
//   redir    := ('<' | '>') word

static int
peek(void)
{
  return toks[pos].kind;
}

static struct node *
mknode(enum nodekind kind, struct node *left, struct node *right)
{
  struct node *n = &nodes[nnodes++];

  memset(n, 0, sizeof(*n));
  n->kind = kind;
  n->left = left;
  n->right = right;
  return n;
}

static struct node *parselist(void);

// Consume a redirection if one is next; returns 0 if there was none.
static int
parseredir(struct node *n)
{
  int op = peek();

  if(op != '<' && op != '>')
    return 0;
  pos++;
  if(peek() != TOK_WORD){
    fail(op == '<' ? "missing file after <" : "missing file after >");
    return 1;
  }
  if(op == '<')
    n->infile = toks[pos++].text;
  else
    n->outfile = toks[pos++].text;
  return 1;
}

static struct node *
parsesubshell(void)
{
  struct node *n;

  pos++;   // '('
  n = mknode(N_SUB, parselist(), 0);
  if(n->left == 0)
    fail("empty ( )");
  if(peek() != ')'){
    fail("missing )");
    return n;
  }
  pos++;
  while(parseredir(n))
    ;
  if(peek() == TOK_WORD || peek() == '(')
    fail("unexpected word after )");
  return n;
}

// A simple command; returns 0 if there is nothing to run here.
static struct node *
parsecommand(void)
{
  struct node *n;
  int k = peek();

  if(k == '(')
    return parsesubshell();
  if(k != TOK_WORD && k != '<' && k != '>')
    return 0;
  n = mknode(N_EXEC, 0, 0);
  n->argv = &argpool[nargs];
  for(;;){
    if(peek() == TOK_WORD)
      argpool[nargs++] = toks[pos++].text;
    else if(!parseredir(n))
      break;
  }
  argpool[nargs++] = 0;
  if(n->argv[0] == 0)
    fail("missing command");
  else if(n->argv + MAXARG < &argpool[nargs - 1])
    fail("too many arguments");
  return n;
}

static struct node *
parsepipeline(void)
{
  struct node *n = parsecommand();
  struct node *r;

  while(n != 0 && peek() == '|'){
    pos++;
    r = parsecommand();
    if(r == 0){
      fail("missing command after |");
      break;
    }
    n = mknode(N_PIPE, n, r);
  }
  if(n == 0 && peek() == '|')
    fail("missing command before |");
  return n;
}

static struct node *
parselist(void)
{
  struct node *list = 0, *item;
  int sep;

  for(;;){
    item = parsepipeline();
    sep = peek();
    if(sep == '&'){
      if(item == 0){
        fail("missing command before &");
        break;
      }
      item = mknode(N_BACK, item, 0);
    }
    if(item != 0)
      list = list ? mknode(N_SEQ, list, item) : item;
    if(parseerr || (sep != ';' && sep != '&'))
      break;
    pos++;
  }
  return list;
}

// Returns the tree for the current line, 0 if it is empty or wrong.
static struct node *
parse(void)
{
  struct node *n;

  parseerr = 0;
  pos = nnodes = nargs = 0;
  tokenize(line);
  n = parseerr ? 0 : parselist();
  if(parseerr == 0 && peek() != TOK_END)
    fail(peek() == ')' ? "unexpected )" : "unexpected token");
  if(parseerr){
    fprintf(2, "sh: syntax error: %s\n", parseerr);
    return 0;
  }
  return n;
}

// ---- running ----

static int
spawn(void)
{
  int pid = fork();

  if(pid < 0)
    fprintf(2, "sh: fork failed\n");
  return pid;
}

// Wait for pid, reaping finished background jobs on the way.
static int
waitfor(int pid)
{
  int w, status;

  for(;;){
    w = wait(&status);
    if(w == pid)
      return status;
    if(w < 0)
      return -1;
  }
}

static int
isbuiltin(struct node *n)
{
  return n->kind == N_EXEC && strcmp(n->argv[0], "cd") == 0;
}

static int
changedir(char **argv)
{
  char *dir = argv[1] ? argv[1] : "/";

  if(chdir(dir) < 0){
    fprintf(2, "cd: cannot cd to %s\n", dir);
    return 1;
  }
  return 0;
}

// Make fd refer to path; the caller is a child that may just give up.
static void
redirect(int fd, char *path, int flags)
{
  int f = open(path, flags);

  if(f < 0){
    fprintf(2, "sh: cannot open %s\n", path);
    exit(1);
  }
  if(f != fd){
    close(fd);
    if(dup(f) != fd){
      fprintf(2, "sh: cannot redirect to %s\n", path);
      exit(1);
    }
    close(f);
  }
}

static void
applyredirs(struct node *n)
{
  if(n->infile)
    redirect(0, n->infile, O_RDONLY);
  if(n->outfile)
    redirect(1, n->outfile, O_WRONLY | O_CREATE | O_TRUNC);
}

// Programs live in the root directory, so a bare name is also tried
// there; this keeps commands working after a cd.
static void __attribute__((noreturn))
runprogram(char **argv)
{
  char path[MAXPATH];

  exec(argv[0], argv);
  if(strchr(argv[0], '/') == 0 && strlen(argv[0]) + 2 <= sizeof(path)){
    path[0] = '/';
    strcpy(path + 1, argv[0]);
    exec(path, argv);
  }
  fprintf(2, "exec %s failed\n", argv[0]);
  exit(1);
}

// Start side of a pipe in a child whose fd (0 or 1) is the pipe end p[end].
static int
pipeside(struct node *n, int p[2], int fd, int end)
{
  int pid = spawn();

  if(pid == 0){
    close(fd);
    dup(p[end]);
    close(p[0]);
    close(p[1]);
    runchild(n);
  }
  return pid;
}

// The pipeline's status is that of its right-hand side.
static void __attribute__((noreturn))
runpipe(struct node *n)
{
  int p[2], lpid, rpid, i, w, st, status = 1;

  if(pipe(p) < 0){
    fprintf(2, "sh: pipe failed\n");
    exit(1);
  }
  lpid = pipeside(n->left, p, 1, 1);
  rpid = pipeside(n->right, p, 0, 0);
  close(p[0]);
  close(p[1]);
  if(lpid < 0 || rpid < 0)
    exit(1);
  // This process has no other children, so two waits collect both.
  for(i = 0; i < 2; i++){
    w = wait(&st);
    if(w == rpid)
      status = st;
  }
  exit(status);
}

// Run n inside a process of its own, which ends when n is done.
static void
runchild(struct node *n)
{
  switch(n->kind){
  case N_EXEC:
    applyredirs(n);
    if(isbuiltin(n))
      exit(changedir(n->argv));
    runprogram(n->argv);
  case N_PIPE:
    runpipe(n);
  case N_SUB:
    applyredirs(n);
    exit(runlist(n->left));
  default:
    exit(runlist(n));
  }
}

// Run n from the shell itself: lists and cd must not be in a child,
// everything else is. Returns the exit status of the last command.
static int
runlist(struct node *n)
{
  int pid;

  switch(n->kind){
  case N_SEQ:
    runlist(n->left);
    return runlist(n->right);
  case N_BACK:
    pid = spawn();
    if(pid == 0)
      runchild(n->left);
    return pid < 0 ? -1 : 0;
  default:
    if(isbuiltin(n))
      return changedir(n->argv);
    pid = spawn();
    if(pid == 0)
      runchild(n);
    return pid < 0 ? -1 : waitfor(pid);
  }
}

int
main(int argc, char *argv[])
{
  struct node *n;
  int len, script = argc > 1;

  // "sh file" runs the commands in file, without prompting.
  if(script)
    redirect(0, argv[1], O_RDONLY);
  for(;;){
    if(!script)
      fprintf(2, "$ ");
    len = readline();
    if(len == -1)
      break;
    if(len == -2){
      fprintf(2, "sh: line too long\n");
      continue;
    }
    n = parse();
    if(n)
      runlist(n);
  }
  return 0;
}
