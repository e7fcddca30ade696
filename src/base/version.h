/* version — the one version string every herd component reports. */
#ifndef HERD_BASE_VERSION_H
#define HERD_BASE_VERSION_H

#define HERD_VERSION "0.1.0"

#endif
