# mod_slack_approvals — build with apxs.
#   make            build the module (.libs/mod_slack_approvals.so)
#   make unit       build the cmocka unit tests of modules/core (plain and ASan/UBSan)
#   make test       install what is missing, build, run every test (scripts/test.sh)
#   make run        install what is missing, build, run the local sandbox (scripts/run.sh)
#   make install    install the module, migrations, the settings page (ui/) and sap-migrate (needs root)
#   make clean

APXS        ?= apxs
CC          ?= cc
PREFIX      ?= /usr/local
SHAREDIR    ?= $(PREFIX)/share/mod_slack_approvals
BUILD       := build
comma       := ,

CORE_SRC    := $(sort $(wildcard modules/core/*.c))
CORE_HDR    := $(wildcard modules/core/*.h)
HTTPD_SRC   := $(sort $(wildcard modules/httpd/*.c))
HTTPD_HDR   := $(wildcard modules/httpd/*.h)
MODULE_SRC  := mod_slack_approvals.c $(HTTPD_SRC) $(CORE_SRC)
MODULE_SO   := .libs/mod_slack_approvals.so
# The settings page, served by httpd from $(SHAREDIR)/ui (conf/httpd-example.conf).
UI_FILES    := $(wildcard ui/*.html ui/*.css ui/*.js ui/*.svg)

WARN        := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
DEPS_CFLAGS := $(shell pkg-config --cflags libcurl jansson openssl)
DEPS_LIBS   := $(shell pkg-config --libs libcurl jansson openssl)
APR_CFLAGS  := $(shell apr-1-config --cflags --cppflags --includes) $(shell apu-1-config --includes)
APR_LIBS    := $(shell apr-1-config --link-ld) $(shell apu-1-config --link-ld)

UNIT_SRC    := $(sort $(wildcard t/unit/test_*.c))
UNIT_BIN    := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
UNIT_ASAN   := $(patsubst t/unit/%.c,$(BUILD)/unit-asan/%,$(UNIT_SRC))
UNIT_HELPER := $(wildcard t/unit/helper_*.c)
# The core is compiled for unit tests with APR's include paths only: an
# httpd header in modules/core cannot even compile there (and check-core says so).
UNIT_CFLAGS := -std=gnu11 -g -O1 $(WARN) $(APR_CFLAGS) $(DEPS_CFLAGS) -Imodules/core -It/unit
UNIT_LIBS   := -lcmocka $(APR_LIBS) $(DEPS_LIBS) -lpthread
ASAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all module unit check-core test run install clean

all: module

module: $(MODULE_SO)

$(MODULE_SO): $(MODULE_SRC) $(CORE_HDR) $(HTTPD_HDR) | check-core
	$(APXS) -c -o mod_slack_approvals.la \
	    -Wc,-std=gnu11 $(addprefix -Wc$(comma),$(WARN)) $(addprefix -Wc$(comma),$(DEPS_CFLAGS)) \
	    -Imodules/core -Imodules/httpd \
	    $(MODULE_SRC) $(DEPS_LIBS)

# Fails the build when modules/core reaches for httpd.
check-core:
	@if grep -nE '#[[:space:]]*include[[:space:]]*[<"](httpd|http_[a-z_]+|ap_[a-z_]+|mod_[a-z_]+|util_[a-z_]+)\.h' modules/core/*.c modules/core/*.h; then \
	    echo "check-core: modules/core must not include httpd headers (see DESIGN section 2)"; exit 1; fi

unit: $(UNIT_BIN) $(UNIT_ASAN)

$(BUILD)/unit/%: t/unit/%.c $(CORE_SRC) $(CORE_HDR) $(UNIT_HELPER) | check-core
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_HELPER) $(CORE_SRC) $(UNIT_LIBS)

$(BUILD)/unit-asan/%: t/unit/%.c $(CORE_SRC) $(CORE_HDR) $(UNIT_HELPER) | check-core
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(ASAN_FLAGS) -o $@ $< $(UNIT_HELPER) $(CORE_SRC) $(UNIT_LIBS)

test:
	bash scripts/test.sh

run:
	bash scripts/run.sh

install: $(MODULE_SO)
	$(APXS) -i -n slack_approvals mod_slack_approvals.la
	install -d $(DESTDIR)$(SHAREDIR)/sql $(DESTDIR)$(SHAREDIR)/ui $(DESTDIR)$(PREFIX)/sbin
	install -m 0644 sql/*.sql $(DESTDIR)$(SHAREDIR)/sql/
	install -m 0644 $(UI_FILES) $(DESTDIR)$(SHAREDIR)/ui/
	sed 's|^SQL_DIR_DEFAULT=.*|SQL_DIR_DEFAULT=$(SHAREDIR)/sql|' scripts/sap-migrate \
	    > $(DESTDIR)$(PREFIX)/sbin/sap-migrate
	chmod 0755 $(DESTDIR)$(PREFIX)/sbin/sap-migrate

clean:
	rm -rf $(BUILD) .libs *.la *.lo *.slo *.o modules/core/*.lo modules/core/*.slo modules/core/*.o \
	    modules/core/.libs modules/httpd/*.lo modules/httpd/*.slo modules/httpd/*.o modules/httpd/.libs

# ---- AddressSanitizer + UBSan build of the module (make test-asan) --------
# build/asan/mod_slack_approvals.so: the same sources, built with gcc directly
# (apxs/libtool would add -D_FORTIFY_SOURCE and -O2). httpd must load libasan
# first: scripts/asan-httpd runs /usr/sbin/apache2 with it in LD_PRELOAD.
ASAN_SO     := $(BUILD)/asan/mod_slack_approvals.so
ASAN_CFLAGS := -std=gnu11 $(shell $(APXS) -q CFLAGS) -I$(shell $(APXS) -q INCLUDEDIR) $(APR_CFLAGS) \
               $(DEPS_CFLAGS) $(WARN) -Imodules/core -Imodules/httpd \
               -fPIC -shared -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer

.PHONY: module-asan test-asan

module-asan: $(ASAN_SO) $(BUILD)/asan/libsap-asan-options.so

$(ASAN_SO): $(MODULE_SRC) $(CORE_HDR) $(HTTPD_HDR) | check-core
	@mkdir -p $(dir $@)
	gcc $(ASAN_CFLAGS) -o $@ $(MODULE_SRC) -lcurl -ljansson -lssl -lcrypto

# Preloaded by scripts/asan-httpd next to libasan (see scripts/asan-options.c).
$(BUILD)/asan/libsap-asan-options.so: scripts/asan-options.c
	@mkdir -p $(dir $@)
	gcc -std=gnu11 $(WARN) -fPIC -shared -O1 -o $@ $<

test-asan:
	SAP_ASAN=1 bash scripts/test.sh

# ---- benchmarks (bench/README.md): writes its section of docs/benchmarks.md
.PHONY: bench

bench:
	bash bench/run.sh
	bash bench/dispatch.sh
	bash bench/interactions.sh
