#!/usr/bin/env node
// Validates every document of a rendered manifest (`helm template` output)
// against its API schema, offline, with the models of the npm packages
// kubernetes-models (Kubernetes), @kubernetes-models/keda (KEDA) and
// @kubernetes-models/prometheus-operator (ServiceMonitor, PrometheusRule):
// each document is loaded into its model and model.validate() throws on the
// first schema violation. Strimzi (kafka.strimzi.io) has no such package: its
// KafkaTopic/KafkaUser are checked structurally by deploy_check instead, and
// are only counted here. Any other kind is a failure, so a new template
// cannot slip past unvalidated.
//   node validate_manifests.js <manifest.yaml>
// Installed by `npm ci` in tests/deploy (scripts/test.sh does it).
'use strict';
const fs = require('fs');
const yaml = require('js-yaml');

// apiVersion group -> npm package holding its models.
const packages = {
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};
const structurallyChecked = new Set(['kafka.strimzi.io']);

function modelFor(apiVersion, kind) {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const pkg = packages[group] || 'kubernetes-models';
  let module;
  try {
    module = require(`${pkg}/${apiVersion}`);
  } catch (e) {
    return null;
  }
  return module[kind] || null;
}

const file = process.argv[2];
if (!file) {
  console.error('usage: validate_manifests.js <manifest.yaml>');
  process.exit(2);
}
const docs = yaml.loadAll(fs.readFileSync(file, 'utf8')).filter((d) => d && typeof d === 'object');
let failures = 0;
for (const doc of docs) {
  const what = `${doc.apiVersion} ${doc.kind} ${doc.metadata && doc.metadata.name}`;
  const group = String(doc.apiVersion || '').split('/')[0];
  if (structurallyChecked.has(group)) {
    console.log(`  skip  ${what}: no schema package (deploy_check checks it structurally)`);
    continue;
  }
  const Model = modelFor(String(doc.apiVersion), String(doc.kind));
  if (!Model) {
    console.log(`  FAIL  ${what}: no model for this apiVersion/kind`);
    failures++;
    continue;
  }
  try {
    new Model(doc).validate();
    console.log(`  ok    ${what}`);
  } catch (e) {
    console.log(`  FAIL  ${what}: ${e.message}`);
    failures++;
  }
}
if (docs.length === 0) {
  console.log('FAIL: no documents');
  process.exit(1);
}
console.log(failures ? `FAILED: ${failures} of ${docs.length} documents` : `all ${docs.length} documents valid`);
process.exit(failures ? 1 : 0);
