"""Griffe extension: read sklstm's numpydoc docstrings the way Sphinx would.

mkdocstrings reads docstrings statically with griffe and renders their text
as Markdown. Two things in sklstm's sources need help for that:

1. ``sklstm/__init__.py`` exports some names lazily (the ``_LAZY`` dict and
   a module ``__getattr__``), which static analysis cannot follow. For each
   lazy name whose module exists, the extension adds the alias
   ``sklstm.<name>`` -> ``sklstm.<module>.<name>``, as an import would.
2. Numpydoc docstrings use reStructuredText roles (``:class:`~sklearn.X```,
   ``:meth:`predict```, ``:term:`fit```) and ``::`` literal-block markers.
   Roles naming a documented sklstm object become cross-references
   (``[LSTMRegressor][sklstm.LSTMRegressor]``), resolved like Sphinx does
   (the enclosing class, its module, then ``sklstm``); any other role
   becomes inline code showing the same text Sphinx would (``~`` keeps the
   last component). The docstrings themselves are not changed on disk.

Loaded by mkdocstrings (``extensions:`` in mkdocs.yml) and by ``hooks.py``.
"""

import ast
import re

import griffe

PACKAGE = "sklstm"
# Submodules rendered whole in the API reference; their public members
# (no leading underscore) can be linked to.
DOCUMENTED_SUBMODULES = ("datasets", "plotting")

ROLE = re.compile(
    r":(?:py:)?(?P<role>class|func|meth|attr|mod|obj|data|exc|term|ref|doc)"
    r":`(?P<body>[^`]+)`"
)
LITERAL_MARKER = re.compile(r"(?<=\S)::(?=[ \t]*\n[ \t]*\n)")
BARE_LITERAL_MARKER = re.compile(r"^([ \t]*)::[ \t]*$", re.MULTILINE)


def lazy_exports(init_source):
    """Return ``{name: ".module"}`` from the ``_LAZY = {...}`` dict literal."""
    for node in ast.parse(init_source).body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id == "_LAZY"
                        for t in node.targets)):
            return ast.literal_eval(node.value)
    return {}


def _member(obj, parts):
    """Follow ``parts`` through own (not inherited) members, or return None."""
    for part in parts:
        try:
            if obj.is_alias:
                obj = obj.final_target
            obj = obj.members[part]
        except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            return None
    return obj


def public_paths(pkg):
    """Map canonical paths of documented objects to their public paths."""
    public = {}
    for name, member in pkg.members.items():
        if name.startswith("_"):
            continue
        if not member.is_alias:
            if member.is_module and name in DOCUMENTED_SUBMODULES:
                public[member.path] = member.path
                public.update(public_paths(member))  # its re-exports
            continue
        try:
            target = member.final_target
        except (griffe.AliasResolutionError, griffe.CyclicAliasError):
            continue  # an import of another package (importlib, ...)
        if target.path.startswith(f"{PACKAGE}.") and not target.is_module:
            public[target.path] = f"{pkg.path}.{name}"
    return public


def to_markdown(text, *, resolve):
    """Rewrite the reST roles and ``::`` markers of a docstring as Markdown.

    ``resolve(target)`` returns the public identifier of a documented object,
    or None; documented targets become autorefs links, others inline code.
    """

    def role(match):
        body = match["body"].strip()
        explicit = re.fullmatch(r"(?P<title>.+?)\s*<(?P<target>[^>]+)>", body)
        if explicit:
            title, target = explicit["title"], explicit["target"]
        else:
            target = body
            title = body[1:].rsplit(".", 1)[-1] if body.startswith("~") else body
        target = target.lstrip("~.")
        identifier = None if match["role"] in ("term", "ref", "doc") else resolve(target)
        if identifier:
            return f"[`{title}`][{identifier}]"
        return f"`{title}`"

    text = ROLE.sub(role, text)
    text = LITERAL_MARKER.sub(":", text)
    text = BARE_LITERAL_MARKER.sub("", text)
    return _see_also(text, resolve)


def _see_also(text, resolve):
    """Turn numpydoc's ``See Also`` entries (``name : text``) into a linked list."""
    lines = text.split("\n")
    out, i, inside = [], 0, False
    while i < len(lines):
        line = lines[i]
        underline = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and re.fullmatch(r"-{3,}", underline.strip()):
            inside = line.strip() == "See Also"
            out += [line, underline]
            i += 2
            continue
        if inside and line and not line[0].isspace():
            names, _, description = line.partition(" : ")
            links = []
            for name in (n.strip() for n in names.split(",") if n.strip()):
                identifier = resolve(name)
                links.append(f"[`{name}`][{identifier}]" if identifier else f"`{name}`")
            line = "- " + ", ".join(links) + (f": {description.strip()}" if description else "")
        elif inside and line.strip():
            line = "  " + line.strip()  # continuation of the entry above
        out.append(line)
        i += 1
    return "\n".join(out)


class SklstmDocstrings(griffe.Extension):
    """Add the lazy exports and rewrite reST roles, once the package is loaded."""

    def on_package(self, *, pkg, loader, **kwargs):
        if pkg.name != PACKAGE:
            return
        self._add_lazy_aliases(pkg)
        public = public_paths(pkg)
        for obj in _walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = to_markdown(
                    obj.docstring.value, resolve=lambda t, o=obj: resolve(pkg, public, o, t)
                )

    @staticmethod
    def _add_lazy_aliases(pkg):
        source = pkg.filepath.read_text() if pkg.filepath else ""
        for name, module in lazy_exports(source).items():
            module_name = module.lstrip(".")
            if name in pkg.members or module_name not in pkg.members:
                continue  # already defined, or its module is not written yet
            target = pkg.members[module_name]
            if name in target.members:
                pkg.set_member(name, griffe.Alias(name, target.members[name], parent=pkg))


def _walk(obj):
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)


def resolve(pkg, public, obj, target):
    """Public identifier of ``target`` as seen from ``obj``, if it is documented."""
    parts = target.split(".")
    if parts[0] == PACKAGE:
        candidates = [parts[1:]]
    else:
        scopes = []
        scope = obj if obj.is_class else obj.parent
        while scope is not None and scope.is_class:
            scopes.append(scope)
            scope = scope.parent
        module = obj.module
        candidates = [[*s.path.split(".")[1:], *parts] for s in scopes]
        candidates += [[*module.path.split(".")[1:], *parts], parts]
    for candidate in candidates:
        found = _member(pkg, candidate)
        if found is None:
            continue
        if found.is_alias:
            try:
                found = found.final_target
            except (griffe.AliasResolutionError, griffe.CyclicAliasError):
                continue
        return _public_path(public, found)
    return None


def _public_path(public, obj):
    """``sklstm._forecaster.LSTMForecaster.predict`` -> ``sklstm.LSTMForecaster.predict``."""
    trail = []
    while obj is not None:
        if obj.path in public:
            if any(part.startswith("_") for part in trail):
                return None  # private members are not rendered
            return ".".join([public[obj.path], *reversed(trail)])
        trail.append(obj.name)
        obj = obj.parent
    return None
