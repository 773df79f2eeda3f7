"""Serves the JupyterLab application built by build.js over Debian's jupyter_server.

    /usr/bin/python3 main.py --build DIR --state DIR [jupyter_server options...]

DIR of --build is the output of build.js (bundle.js, schemas/, themes/); --state holds the
user settings and workspaces of this run. The rest of the command line goes to
jupyter_server (ServerApp.port, ServerApp.root_dir, ...). The page is at /lab.
"""
import os
import sys

from jupyterlab_server import LabServerApp

HERE = os.path.dirname(os.path.abspath(__file__))


def _take(flag):
    """Removes `flag VALUE` from sys.argv and returns VALUE."""
    i = sys.argv.index(flag)
    value = sys.argv[i + 1]
    del sys.argv[i : i + 2]
    return os.path.abspath(value)


BUILD = _take("--build")
STATE = _take("--state")


class GokernelLab(LabServerApp):
    name = __name__
    app_name = "JupyterLab (gokernel clienttest)"
    app_version = "4"
    extension_url = "/lab"
    default_url = "/lab"
    # Only this app: no other server extensions found on the machine (jupyter-lsp, nbclassic).
    load_other_extensions = False
    static_dir = BUILD
    templates_dir = os.path.join(HERE, "templates")
    schemas_dir = os.path.join(BUILD, "schemas")
    themes_dir = os.path.join(BUILD, "themes")
    app_settings_dir = os.path.join(BUILD, "application_settings")
    user_settings_dir = os.path.join(STATE, "user_settings")
    workspaces_dir = os.path.join(STATE, "workspaces")

    def initialize_settings(self):
        super().initialize_settings()
        self.settings["terminals_available"] = False
        # The frontend joins its URLs (router, websockets) to the base URL; without it, it builds
        # "http://lab/" and the browser refuses the history entry.
        base = self.serverapp.base_url
        self.settings.setdefault("page_config_data", {}).update(baseUrl=base)


def _jupyter_server_extension_points():
    # Without this jupyter_server cannot load the app as an extension ('NoneType' object is
    # not callable) and /lab answers 404.
    return [{"module": __name__, "app": GokernelLab}]


if __name__ == "__main__":
    GokernelLab.launch_instance()
