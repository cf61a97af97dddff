// pnpm reads this file as CommonJS before installing; it adjusts third-party manifests in one place.
//
// @scalar/api-reference: the api serves only the package's prebuilt browser bundle
// (dist/browser/standalone.js), which has every dependency inlined and runs in the browser. Its Node-side
// entry points and their ~250 Vue/Scalar dependencies are never loaded, so they are not installed, and
// its `engines.node` (>= 22, for those Node-side entries) does not describe what we run on Node.
// Removing them keeps a Node 20.19 install free of engine warnings without claiming another Node version.
module.exports = {
  hooks: {
    readPackage(manifest) {
      if (manifest.name === "@scalar/api-reference") {
        manifest.dependencies = {};
        delete manifest.engines;
      }
      return manifest;
    },
  },
};
