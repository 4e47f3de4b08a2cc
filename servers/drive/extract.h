/* Text out of PDF and Office documents, through well-kept tools: pdftotext (poppler) for PDF,
 * unzip for the OOXML/ODF containers and libxml2 for the XML inside them. */
#ifndef DRIVE_EXTRACT_H
#define DRIVE_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

/* True for application/pdf, docx, xlsx, pptx, odt and ods. */
bool drive_extract_supported(const char *mime);

/* Extracts the text of the document in `data` into *text (owned, free with free()). Returns
 * 0, MCP_ENOTSUP when the tool or library it needs is not installed, MCP_ETIMEDOUT when the
 * tool ran longer than 20 s, or MCP_EIO, with a sentence in why. */
int drive_extract_text(const char *mime, const char *data, size_t len, char **text, size_t *tlen,
                       char *why, size_t whylen);

#endif
