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

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_rc;
static char failure[512]; /* set by load(): what went wrong */

#define DRIVE_XML_SYMBOL(name) {#name, &drive_xml.name, sizeof drive_xml.name},
static const struct drive_symbol symbols[] = {DRIVE_XML_FUNCTIONS(DRIVE_XML_SYMBOL)};
#undef DRIVE_XML_SYMBOL

static void load(void)
{
    load_rc = drive_dlopen(SONAME, "libxml2", symbols, sizeof symbols / sizeof *symbols, failure,
                           sizeof failure);
    /* Its global state is set up once, before threads parse: webdav.c and extract.c parse on
     * whichever thread serves the call. */
    if (!load_rc)
        drive_xml.xmlInitParser();
}

int drive_xml_load(char *why, size_t whylen)
{
    pthread_once(&once, load);
    if (load_rc)
        snprintf(why, whylen, "%s", failure);
    return load_rc;
}
