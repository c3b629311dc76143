// GNU readline for the `weft` REPL (Sources/weft/REPL*.swift), imported into Swift
// as the system-library module CReadline. Needs the libreadline-dev package.
#ifndef WEFT_CREADLINE_SHIM_H
#define WEFT_CREADLINE_SHIM_H

#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>

#endif
