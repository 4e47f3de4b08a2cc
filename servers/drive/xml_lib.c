#define DRIVE_XML_LOADER
#include "xml_lib.h"

#include <pthread.h>
#include <stdio.h>

#include <mcp/mcp.h>

#include "drive.h"

/* libxml2 2.14 took the soname from 2 to 16 when it gave up binary compatibility. */
#if LIBXML_VERSION >= 21400
#define SONAME "libxml2.so.16"
#else
#define SONAME "libxml2.so.2"
#endif

struct drive_xml drive_xml;

#define DRIVE_XML_SYMBOL(name) {#name, &drive_xml.name, sizeof drive_xml.name},
static const struct drive_symbol symbols[] = {DRIVE_XML_FUNCTIONS(DRIVE_XML_SYMBOL)};
#undef DRIVE_XML_SYMBOL

/* Its global state is set up once, before threads parse: webdav.c and extract.c parse on
 * whichever thread serves the call. */
static int set_up(char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    drive_xml.xmlInitParser();
    return 0;
}

static struct drive_library xml = {.soname = SONAME,
                                   .package = "libxml2",
                                   .symbols = symbols,
                                   .nsymbols = sizeof symbols / sizeof *symbols,
                                   .set_up = set_up,
                                   .lock = PTHREAD_MUTEX_INITIALIZER};

int drive_xml_load(char *why, size_t whylen)
{
    return drive_library_load(&xml, why, whylen);
}
