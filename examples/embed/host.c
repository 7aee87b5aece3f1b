/* A minimal embedding host in C, using only the C ABI (pvm/pvm.h): what a gateway does for one
 * connection, in one file.
 *
 *   pvm_embed_c MODULE.pvmc [HEX_FILE]
 *
 * Loads a compiled module, reads hex lines (from HEX_FILE or standard input; blank lines and
 * lines starting with '#' are skipped), feeds each line's bytes to one TCP session as a segment
 * of the stream, and prints every message as a JSON line and every reply as "reply: <hex>" on
 * standard output. Rejected frames and warnings go to standard error. Exit status: 0 when every
 * frame decoded, 1 when some frame was rejected, 2 when the module or input could not be read.
 * Its output is the same as that of host.cpp, the C++ version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm/pvm.h"

enum { MAX_MODULE = 16 << 20, MAX_LINE = 1 << 16 };

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Hex digits with optional spaces between bytes; returns the byte count, or -1. */
static long parse_hex_line(const char* line, uint8_t* out) {
  long n = 0;
  int high = -1;
  for (; *line != '\0' && *line != '\n'; ++line) {
    if (*line == ' ' || *line == '\t' || *line == '\r') continue;
    const int d = hex_digit(*line);
    if (d < 0) return -1;
    if (high < 0) {
      high = d;
    } else {
      out[n++] = (uint8_t)(high << 4 | d);
      high = -1;
    }
  }
  return high < 0 ? n : -1;
}

/* Called once per frame. Everything `frame` points to is valid only during the call: a real host
 * copies what it keeps, stores the messages, and only then sends the replies. */
static void on_frame(void* user, const pvm_frame* frame) {
  int* rejected = user;
  if (frame->warnings != NULL) {
    /* One warning per line. */
    const char* w = frame->warnings;
    while (*w != '\0') {
      const char* end = strchr(w, '\n');
      const size_t n = end ? (size_t)(end - w) : strlen(w);
      fprintf(stderr, "warning: %.*s\n", (int)n, w);
      w += n + (end ? 1 : 0);
    }
  }
  if (frame->error != NULL) {
    *rejected = 1;
    fprintf(stderr, "error: %s\n", frame->error);
    return;
  }
  fwrite(frame->json, 1, frame->json_size, stdout);
  for (size_t i = 0; i < frame->reply_count; ++i) {
    printf("reply: ");
    for (size_t k = 0; k < frame->replies[i].size; ++k) printf("%02x", frame->replies[i].data[k]);
    printf("\n");
  }
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: pvm_embed_c MODULE.pvmc [HEX_FILE]\n");
    return 2;
  }
  FILE* module_file = fopen(argv[1], "rb");
  if (module_file == NULL) {
    fprintf(stderr, "%s: cannot read\n", argv[1]);
    return 2;
  }
  uint8_t* module = malloc(MAX_MODULE);
  const size_t module_size = module ? fread(module, 1, MAX_MODULE, module_file) : 0;
  fclose(module_file);

  /* Load once, share among all connections: the program is immutable and verified. */
  char error[256];
  pvm_program* program = pvm_program_load(module, module_size, error, sizeof error);
  free(module);
  if (program == NULL) {
    fprintf(stderr, "%s: %s\n", argv[1], error);
    return 2;
  }

  FILE* input = stdin;
  if (argc == 3 && (input = fopen(argv[2], "r")) == NULL) {
    fprintf(stderr, "%s: cannot read\n", argv[2]);
    pvm_program_free(program);
    return 2;
  }

  /* One session per connection; it keeps the stream buffer and the device's session state.
   * NULL options: TCP with the default limits. */
  pvm_session* session = pvm_session_new(program, NULL);
  char* line = malloc(MAX_LINE);
  uint8_t* bytes = malloc(MAX_LINE / 2);
  int rejected = 0, status = 0;
  for (int number = 1; session && line && bytes && fgets(line, MAX_LINE, input) != NULL; ++number) {
    const char* first = line + strspn(line, " \t\r");
    if (*first == '\n' || *first == '\0' || *first == '#') continue;
    const long n = parse_hex_line(line, bytes);
    if (n < 0) {
      fprintf(stderr, "%s:%d: not hex\n", argc == 3 ? argv[2] : "<stdin>", number);
      status = 2;
      break;
    }
    pvm_session_feed(session, bytes, (size_t)n, on_frame, &rejected);
  }
  if (session && status == 0) pvm_session_finish(session, on_frame, &rejected);
  free(line);
  free(bytes);
  pvm_session_free(session);
  pvm_program_free(program); /* sessions keep their program alive; this one is done */
  if (input != stdin) fclose(input);
  if (status == 0 && rejected) status = 1;
  return status;
}
