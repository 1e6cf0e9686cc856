"""The include graph of src/ against the layers src/CMakeLists.txt declares (build/layers.txt,
"dir: layer layer ..."): every folder holding code is a declared layer, the declared layers form
no cycle, and a file includes headers of its own layer and of the layers it declares (directly
or through them) only. Prints each wrong-way include with its file and line; exit 1 if any.
usage: check_layers.py LAYERS_TXT SRC_DIR"""

import os
import re
import sys


def read_layers(path):
    layers = {}
    for line in open(path):
        if line.strip():
            name, _, deps = line.partition(":")
            layers[name.strip()] = deps.split()
    return layers


def closure(layers):
    """Each layer's reachable layers; raises on a cycle, naming it."""
    done, reach = set(), {}

    def visit(name, path):
        if name in path:
            raise ValueError("the declared layers have a cycle: " + " -> ".join(path[path.index(name):] + [name]))
        if name in done:
            return reach[name]
        out = set()
        for dep in layers.get(name, []):
            if dep not in layers:
                raise ValueError(f"layer {name} declares {dep}, which is not a layer")
            out |= {dep} | visit(dep, path + [name])
        done.add(name)
        reach[name] = out
        return out

    for name in layers:
        visit(name, [])
    return reach


def layer_of(folder, layers):
    """The declared layer a folder of src/ belongs to: the longest declared prefix."""
    parts = folder.split("/")
    for n in range(len(parts), 0, -1):
        candidate = "/".join(parts[:n])
        if candidate in layers:
            return candidate
    return None


def main():
    layers = read_layers(sys.argv[1])
    src = sys.argv[2]
    try:
        reach = closure(layers)
    except ValueError as e:
        print(e)
        return 1
    problems, files, edges = [], 0, set()
    for root, _, names in os.walk(src):
        folder = os.path.relpath(root, src)
        code = [n for n in names if n.endswith((".h", ".cpp"))]
        if not code or folder == ".":
            continue
        layer = folder if folder in layers else None
        if layer is None:
            problems.append(f"src/{folder}/ holds code but is not a declared layer (src/CMakeLists.txt)")
            continue
        for name in code:
            files += 1
            path = os.path.join(root, name)
            for lineno, line in enumerate(open(path, encoding="utf-8"), 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m or not os.path.exists(os.path.join(src, m.group(1))):
                    continue
                target = layer_of(os.path.dirname(m.group(1)), layers)
                if target is None:
                    problems.append(f"src/{folder}/{name}:{lineno} includes {m.group(1)}, outside every declared layer")
                elif target != layer and target not in reach[layer]:
                    problems.append(f"src/{folder}/{name}:{lineno} includes {m.group(1)}: layer {layer} may not use {target} "
                                    f"(it declares: {' '.join(layers[layer]) or 'nothing'})")
                elif target != layer:
                    edges.add((layer, target))
    for p in problems:
        print(p)
    print(f"{files} files in {len(layers)} layers, {len(edges)} layer edges used; {len(problems)} problems")
    return 1 if problems else 0


sys.exit(main())
