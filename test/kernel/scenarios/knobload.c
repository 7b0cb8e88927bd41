// SPDX-License-Identifier: GPL-2.0
// Loads an object with libbpf after setting globals in its .rodata/.data/.bss initial values, as a
// skeleton's `skel->rodata->knob = …` does before load (bpftool cannot: .rodata is frozen at load),
// then pins its programs, for the global-knob differential tier (test/kernel/globals.test.ts).
// Build: gcc -O1 -o knobload knobload.c -lbpf    Usage: knobload OBJ PIN_DIR [NAME=HEXBYTES]…
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes HEXBYTES over global NAME in whichever global-data map holds it. */
static int set_global(struct bpf_object *obj, const char *name, const char *hex)
{
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		const char *sec = strchr(bpf_map__name(map), '.');
		size_t sz;
		void *data;
		int id;

		if (!sec || !(data = (void *)bpf_map__initial_value(map, &sz)))
			continue;
		id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
		if (id < 0)
			continue;
		const struct btf_type *ds = btf__type_by_id(btf, id);
		const struct btf_var_secinfo *v = btf_var_secinfos(ds);
		for (int i = 0; i < btf_vlen(ds); i++, v++) {
			const struct btf_type *var = btf__type_by_id(btf, v->type);
			if (strcmp(btf__name_by_offset(btf, var->name_off), name))
				continue;
			size_t n = strlen(hex) / 2;
			if (n != v->size || v->offset + n > sz) {
				fprintf(stderr, "%s: %zu bytes given, the variable has %u\n", name, n, v->size);
				return -1;
			}
			for (size_t j = 0; j < n; j++) {
				char b[3] = { hex[2 * j], hex[2 * j + 1], 0 };
				((unsigned char *)data)[v->offset + j] = strtoul(b, NULL, 16);
			}
			return 0;
		}
	}
	fprintf(stderr, "no global %s\n", name);
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s OBJ PIN_DIR [NAME=HEX]...\n", argv[0]);
		return 2;
	}
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		perror("bpf_object__open_file");
		return 1;
	}
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			return 2;
		*eq = 0;
		if (set_global(obj, argv[i], eq + 1))
			return 1;
	}
	if (bpf_object__load(obj)) {
		perror("bpf_object__load");
		return 1;
	}
	if (bpf_object__pin_programs(obj, argv[2])) {
		perror("bpf_object__pin_programs");
		return 1;
	}
	return 0;
}
