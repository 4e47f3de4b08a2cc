/* libxml2, loaded the first time XML is parsed (a WebDAV answer, or the text of an Office
 * document) instead of at program start, where it cost a drive 0.9 ms and 2.7 MiB whether or
 * not it ever read XML. webdav.c and extract.c call the usual xml* names; the macros below
 * route them through the table drive_xml_load() fills.
 *
 * Each entry of the table points to the symbol of its name, whatever it is: for a function
 * the function, for xmlFree, which libxml2 declares as a variable holding the function that
 * frees its strings, that variable. (*drive_xml.name) then stands for the name itself. */
#ifndef DRIVE_XML_LIB_H
#define DRIVE_XML_LIB_H

#include <stddef.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>

/* Built so, libxml2 makes xmlFree a macro calling a per-thread lookup: not a variable. */
#ifdef LIBXML_THREAD_ALLOC_ENABLED
#error "this libxml2 keeps xmlFree per thread; xml_lib.c would need to look up __xmlFree"
#endif

#define DRIVE_XML_FUNCTIONS(X)                                                                     \
    X(xmlDocGetRootElement)                                                                        \
    X(xmlFree)                                                                                     \
    X(xmlFreeDoc)                                                                                  \
    X(xmlInitParser)                                                                               \
    X(xmlNodeGetContent)                                                                           \
    X(xmlReadMemory)

#define DRIVE_XML_FIELD(name) __typeof__(name) *name;
struct drive_xml {
    DRIVE_XML_FUNCTIONS(DRIVE_XML_FIELD)
};
#undef DRIVE_XML_FIELD

/* The symbols; filled by the first drive_xml_load() that succeeds, to be used only after one
 * did. */
extern struct drive_xml drive_xml;

/* Loads libxml2 and runs xmlInitParser, once (thread-safe). Returns 0, or MCP_ENOTSUP with a
 * sentence in why (every call gives the same) when the library or one of its symbols is
 * missing. */
int drive_xml_load(char *why, size_t whylen);

/* xml_lib.c fills the table by these names, so it alone sees the symbols themselves. */
#ifndef DRIVE_XML_LOADER
#define xmlDocGetRootElement (*drive_xml.xmlDocGetRootElement)
#define xmlFree (*drive_xml.xmlFree)
#define xmlFreeDoc (*drive_xml.xmlFreeDoc)
#define xmlInitParser (*drive_xml.xmlInitParser)
#define xmlNodeGetContent (*drive_xml.xmlNodeGetContent)
#define xmlReadMemory (*drive_xml.xmlReadMemory)
#endif

#endif
