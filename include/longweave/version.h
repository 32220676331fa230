/* The library's version, recorded in every manifest. */
#ifndef LONGWEAVE_VERSION_H
#define LONGWEAVE_VERSION_H

#define LW_VERSION "0.1.0"

#endif
