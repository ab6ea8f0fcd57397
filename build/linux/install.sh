#!/bin/sh
# Puts Woodshed in your desktop's menu (for you only, nothing as root): a .desktop entry
# pointing at this folder's `woodshed`, its icon, and a `woodshed` command in ~/.local/bin.
# Run it again after moving the folder; `./install.sh --uninstall` takes it all away.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
apps="$data/applications"
icons="$data/icons/hicolor/scalable/apps"
bin="$HOME/.local/bin"
if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$apps/woodshed.desktop" "$icons/woodshed.svg"
    [ -L "$bin/woodshed" ] && rm -f "$bin/woodshed"
    echo "Woodshed removed from the menu (this folder stays: delete it yourself)."
    exit 0
fi
mkdir -p "$apps" "$icons" "$bin"
sed "s|@EXEC@|\"$here/woodshed\"|" "$here/share/woodshed.desktop" > "$apps/woodshed.desktop"
cp "$here/share/woodshed.svg" "$icons/woodshed.svg"
ln -sf "$here/woodshed" "$bin/woodshed"
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" 2>/dev/null || true
echo "Woodshed is in your applications menu; \`woodshed\` runs it from a terminal ($bin)."
