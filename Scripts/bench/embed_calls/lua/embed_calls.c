/* embed_calls against Lua 5.4: the same two loops as main.swift, through the C API.
   Built by run.sh: gcc -O2 embed_calls.c $(pkg-config --cflags --libs lua5.4) */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int native_inc(lua_State *L) {
    lua_pushinteger(L, luaL_checkinteger(L, 1) + 1);
    return 1;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    if (luaL_dostring(L, "function inc(x) return x + 1 end")) return 1;
    lua_getglobal(L, "inc");
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);

    lua_Integer x = 0;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
        lua_pushinteger(L, x);
        lua_call(L, 1, 1);
        x = lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    double hostToScript = now() - t0;
    if (x != n) { fprintf(stderr, "wrong result\n"); return 1; }

    lua_register(L, "native_inc", native_inc);
    if (luaL_dostring(L, "function call_native(n) local x, i = 0, 0 while i < n do x = native_inc(x) i = i + 1 end return x end"))
        return 1;
    lua_getglobal(L, "call_native");
    lua_pushinteger(L, n);
    t0 = now();
    lua_call(L, 1, 1);
    double scriptToNative = now() - t0;
    if (lua_tointeger(L, -1) != n) { fprintf(stderr, "wrong result\n"); return 1; }

    printf("lua  host->script   %.3f us/call\n", hostToScript * 1e6 / n);
    printf("lua  script->native %.3f us/call\n", scriptToNative * 1e6 / n);
    lua_close(L);
    return 0;
}
