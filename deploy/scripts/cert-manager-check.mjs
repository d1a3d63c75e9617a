// Validates cert-manager objects (Certificate, Issuer, ClusterIssuer) and Prometheus Operator
// objects (ServiceMonitor, PodMonitor, PrometheusRule) against their CRD schemas, which
// kubernetes-validate does not have. The schemas come from the npm packages
// @kubernetes-models/cert-manager and @kubernetes-models/prometheus-operator (pinned in
// k8s-check.sh): validators generated from the CRDs'
// OpenAPI schemas (types, enums, required fields, formats), and type declarations generated from
// the same schemas, from which this script reads every declared field so that an undeclared one
// (a misspelt `renewbefore`) fails, as `kubernetes-validate --strict` does for built-in kinds.
//
// Usage: node cert-manager-check.mjs <node_modules> <objects.json>
//   objects.json: [{"source": "dev", "object": {...}}, ...] (manifest_checks.py crd-objects)
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, objectsPath] = process.argv.slice(2);
const KINDS = {
    "cert-manager.io/v1": ["@kubernetes-models/cert-manager", ["Certificate", "Issuer", "ClusterIssuer"]],
    "monitoring.coreos.com/v1": [
        "@kubernetes-models/prometheus-operator",
        ["ServiceMonitor", "PodMonitor", "PrometheusRule"],
    ],
};

// The fields a declaration file's model class declares, and for each the declaration file of its
// type when that type is another model (`Array<...>` unwrapped). Enums, strings and maps are leaves.
const declarations = new Map();
function declaration(file) {
    if (declarations.has(file)) return declarations.get(file);
    const text = readFileSync(file, "utf8");
    const imports = new Map();
    for (const m of text.matchAll(/import \{ (\w+) \} from "(\.[^"]+)\.js";/g)) {
        imports.set(m[1], resolve(dirname(file), `${m[2]}.d.ts`));
    }
    const body = text.match(/export declare class \w+ extends Model<\w+> implements \w+ \{([\s\S]*?)\n\}/);
    let fields = null;
    if (body) {
        fields = new Map();
        for (const m of body[1].matchAll(/^\s+"([^"]+)"\??: (.+);$/gm)) {
            const type = m[2].replace(/^Array<(.+)>$/, "$1");
            fields.set(m[1], imports.get(type) ?? null);
        }
        // A map (`"labels"?: {` over several lines) is a leaf too.
        for (const m of body[1].matchAll(/^\s+"([^"]+)"\??: \{$/gm)) fields.set(m[1], null);
    }
    declarations.set(file, fields);
    return fields;
}

// Paths of fields the schema does not declare. Metadata is the API server's ObjectMeta, which
// kustomize writes; it is not checked here.
function undeclared(value, file, path, found) {
    const fields = file && existsSync(file) ? declaration(file) : null;
    if (!fields || value === null || typeof value !== "object") return found;
    if (Array.isArray(value)) {
        value.forEach((item, i) => undeclared(item, file, `${path}[${i}]`, found));
        return found;
    }
    for (const [key, child] of Object.entries(value)) {
        if (path === "" && key === "metadata") continue;
        if (!fields.has(key)) found.push(`${path}.${key}`.replace(/^\./, ""));
        else undeclared(child, fields.get(key), `${path}.${key}`, found);
    }
    return found;
}

const problems = [];
const counts = {};
for (const { source, object } of JSON.parse(readFileSync(objectsPath, "utf8"))) {
    const where = `${source}: ${object.kind} ${object.metadata?.name}`;
    const [packageName, kinds] = KINDS[object.apiVersion] ?? ["", []];
    if (!kinds.includes(object.kind)) {
        problems.push(`${where}: no schema for ${object.apiVersion} ${object.kind}`);
        continue;
    }
    const PACKAGE = join(modules, packageName);
    const group = object.apiVersion.split("/")[0];
    const version = object.apiVersion.split("/")[1];
    const module = join(PACKAGE, group, version, `${object.kind}.js`);
    const Model = (await import(pathToFileURL(module).href))[object.kind];
    try {
        new Model(object).validate();
    } catch (error) {
        problems.push(`${where}: ${error.message}`);
    }
    for (const path of undeclared(object, join(PACKAGE, group, version, `${object.kind}.d.ts`), "", [])) {
        problems.push(`${where}: unknown field ${path}`);
    }
    counts[source] = (counts[source] ?? 0) + 1;
    if (!counts[`${source} ${group}`]) counts[`${source} ${group}`] = 0;
    counts[`${source} ${group}`] += 1;
}
for (const [source, count] of Object.entries(counts)) {
    if (source.includes(" ")) console.log(`  ${source}: ${count} objects checked`);
}
for (const problem of problems) console.log(`  FAIL ${problem}`);
process.exit(problems.length ? 1 : 0);
