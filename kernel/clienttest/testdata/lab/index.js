// The JupyterLab application: the core extensions a student sees (file browser, launcher,
// notebook, console, completer, contextual help, menus, status bar), started on the page
// that main.py serves. window.lab is the handle the driver (lab_ui.js) waits for.
import { PageConfig } from '@jupyterlab/coreutils';

// Assets (CSS, fonts, images) are loaded relative to the server's static URL.
// eslint-disable-next-line no-undef
__webpack_public_path__ = PageConfig.getOption('fullStaticUrl') + '/';

const styles = import('@lab-build/style.js');

// Plugins that talk to servers this app has not got: language servers (jupyter-lsp) and
// the news feed (it opens a "Would you like to get notified" popup over the page).
const unwanted = [':language-server', ':announcements'];
const withoutUnwanted = (mod) =>
  (Array.isArray(mod.default) ? mod.default : [mod.default]).filter(
    (p) => !unwanted.some((u) => p.id.includes(u))
  );

async function start() {
  await styles;
  const { JupyterLab } = await import('@jupyterlab/application');
  // Keep in step with "jupyterlab.extensions" in package.json.
  const extensions = await Promise.all([
    import('@jupyterlab/application-extension'),
    import('@jupyterlab/apputils-extension'),
    import('@jupyterlab/codemirror-extension'),
    import('@jupyterlab/completer-extension'),
    import('@jupyterlab/console-extension'),
    import('@jupyterlab/docmanager-extension'),
    import('@jupyterlab/documentsearch-extension'),
    import('@jupyterlab/filebrowser-extension'),
    import('@jupyterlab/fileeditor-extension'),
    import('@jupyterlab/help-extension'),
    import('@jupyterlab/inspector-extension'),
    import('@jupyterlab/launcher-extension'),
    import('@jupyterlab/mainmenu-extension'),
    import('@jupyterlab/markdownviewer-extension'),
    import('@jupyterlab/markedparser-extension'),
    import('@jupyterlab/metadataform-extension'),
    import('@jupyterlab/notebook-extension'),
    import('@jupyterlab/rendermime-extension'),
    import('@jupyterlab/running-extension'),
    import('@jupyterlab/settingeditor-extension'),
    import('@jupyterlab/shortcuts-extension'),
    import('@jupyterlab/statusbar-extension'),
    import('@jupyterlab/theme-light-extension'),
    import('@jupyterlab/toc-extension'),
    import('@jupyterlab/tooltip-extension'),
    import('@jupyterlab/translation-extension'),
    import('@jupyterlab/ui-components-extension'),
  ]);
  const mimeExtensions = await Promise.all([import('@jupyterlab/json-extension')]);
  const lab = new JupyterLab({ mimeExtensions });
  lab.registerPlugins(extensions.flatMap(withoutUnwanted));
  await lab.start();
  await lab.restored;
  window.lab = lab;
}

window.addEventListener('load', () => {
  start().catch((e) => {
    console.error('JupyterLab failed to start', e);
    window.labError = String(e);
  });
});
