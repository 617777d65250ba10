#!/bin/sh
# One Java viewer session of bmc-gateway (docs/ARCHITECTURE.md, "Java viewers"): Xvfb, the vendor's
# viewer, and x11vnc showing only the viewer's window on 127.0.0.1 with a per-session password.
# The same script runs in the container (docker runtime) and as a process group (process runtime).
#
#   session.sh --dir DIR   [--screen WxHxD] [--port-from N]   session files already in DIR
#   session.sh --stdin DIR [--screen WxHxD] [--port-from N]   session files as a tar stream on stdin
#
# DIR holds (written by the gateway, src/sources/jnlp/launch-files.ts): viewer.args (the java
# argfile: classpath, properties, main class, arguments; never on a command line), vncpasswd,
# Xauthority, java.security, jars/, native/.
# Status lines on stdout, read by the gateway: "bmcgw-java: display :N", "… window 0xID WxH",
# "… ready port=N", "… error TEXT", "… exit code=N". The viewer's own output goes to stderr.
set -u
mode='' dir='' screen='2048x1536x24' portfrom=20000
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) mode=dir; dir=$2; shift 2 ;;
    --stdin) mode=stdin; dir=$2; shift 2 ;;
    --screen) screen=$2; shift 2 ;;
    --port-from) portfrom=$2; shift 2 ;;
    *) echo "bmcgw-java: error unknown option $1"; exit 64 ;;
  esac
done
say() { printf 'bmcgw-java: %s\n' "$*"; }
[ -n "$dir" ] || { say "error no --dir or --stdin"; exit 64; }
umask 077
if [ "$mode" = stdin ]; then
  mkdir -p "$dir" && tar -x -f - -C "$dir" --no-same-owner || { say "error cannot unpack the session files from stdin"; exit 65; }
fi

# `run PROGRAM … &` starts a child that dies with this script even when the script is SIGKILLed
# (prctl PR_SET_PDEATHSIG through setpriv, util-linux): a gateway killed hard leaves no viewer
# behind in the process runtime. The background subshell execs it, so the program is this script's
# own child ($! is its pid) and no subshell without the death signal stands in between. Only ever
# call it with `&`.
if command -v setpriv >/dev/null 2>&1; then run() { exec setpriv --pdeathsig KILL -- "$@"; }; else run() { exec "$@"; }; fi
export XAUTHORITY="$dir/Xauthority" HOME="$dir/home" LANG=C.UTF-8
mkdir -p "$HOME"
pids=''
stop_all() { for p in $pids; do kill -9 "$p" 2>/dev/null; done; }
trap 'stop_all; exit 143' TERM INT HUP

# Xvfb picks a free display itself (-displayfd). No TCP. Its abstract socket stays on although a
# host-network container shares it with the host: with -displayfd it is what makes two servers pick
# different displays (Xvfb takes over a socket file whose display is in use, and writes no lock
# file). Every client must present the session's cookie (-auth), so being reachable is harmless.
# No GLX: viewers draw with Java2D (X11/XRender), and GLX's Mesa libraries cost ~55 MB per console.
# -noreset: an X server regenerates itself (screens, keymap through xkbcomp) whenever its last client
# disconnects, and a client that connects during that regeneration is refused. Until the viewer's
# window shows, the only clients are find_window's short xwininfo polls below, so without -noreset
# every poll reset the server and the JVM, connecting at an unlucky moment, failed with "Can't
# connect to X11 window server" (seen in CI; xdpyinfo beside two xwininfo loops: 4 of 300 refused
# with resets, 0 of 300 with -noreset).
: >"$dir/display"
run Xvfb -displayfd 3 -noreset -nolisten tcp -extension GLX -auth "$XAUTHORITY" -screen 0 "$screen" 3>"$dir/display" >"$dir/xvfb.log" 2>&1 &
xvfb=$!
pids="$xvfb"
i=0
while [ ! -s "$dir/display" ]; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 "$xvfb" 2>/dev/null; then say "error Xvfb did not start: $(tail -n 1 "$dir/xvfb.log" 2>/dev/null)"; stop_all; exit 70; fi
  sleep 0.1
done
DISPLAY=":$(head -n 1 "$dir/display")"
export DISPLAY
say "display $DISPLAY"

run java "@$dir/viewer.args" </dev/null >&2 &
java=$!
pids="$pids $java"

# The viewer's window: the largest viewable top-level window (Java also maps 1x1 and icon windows).
# Without a window manager it has no decorations and sits where the viewer put it.
find_window() {
  xwininfo -root -children 2>/dev/null | awk '$1 ~ /^0x[0-9a-f]+$/ { n = split($(NF - 1), g, /[x+-]/); if (n >= 2 && g[1] >= 64 && g[2] >= 48) print g[1] * g[2], $1, g[1] "x" g[2] }' |
    sort -rn | while read -r _area id size; do
      if xwininfo -id "$id" 2>/dev/null | grep -q 'IsViewable'; then echo "$id $size"; break; fi
    done
}
viewable() { xwininfo -id "$1" 2>/dev/null | grep -q 'IsViewable'; }

win=''
while [ -z "$win" ]; do
  if ! kill -0 "$java" 2>/dev/null; then
    wait "$java"; code=$?
    # The viewer's "Can't connect to X11 window server" is about the X server: say what became of it.
    kill -0 "$xvfb" 2>/dev/null || say "error Xvfb on $DISPLAY died before the viewer's window showed: $(tail -n 1 "$dir/xvfb.log" 2>/dev/null)"
    say "exit code=$code"; stop_all; exit "$code"
  fi
  set -- $(find_window)
  if [ $# -eq 2 ]; then win=$1; size=$2; else sleep 0.2; fi
done
# The JVM has long read its argfile: the arguments (which may hold credentials) leave the disk.
rm -f "$dir/viewer.args"
say "window $win $size"

password=$(head -n 1 "$dir/vncpasswd")
rm -f "$dir/vncpasswd"
port=''
x11=''
start_x11vnc() {
  printf '%s\n' "$password" >"$dir/vncpasswd"
  if [ -n "$port" ]; then where="-rfbport $port"; else where="-autoport $portfrom"; fi
  : >"$dir/x11vnc.log"
  # -sid: only the viewer's window (popup menus included), following its resizes; loopback only,
  # password read from a file it deletes; no remote control, no shell commands, no rc file.
  run x11vnc -display "$DISPLAY" -auth "$XAUTHORITY" -sid "$win" $where -localhost -no6 -nolookup \
    -passwdfile "rm:$dir/vncpasswd" -forever -shared -noremote -nocmds -norc -nobell -nowf -q \
    >"$dir/x11vnc.log" 2>&1 &
  x11=$!
  pids="$xvfb $java $x11"
  i=0
  until grep -q '^PORT=' "$dir/x11vnc.log" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 150 ] || ! kill -0 "$x11" 2>/dev/null; then say "error x11vnc did not start: $(tail -n 1 "$dir/x11vnc.log")"; stop_all; exit 71; fi
    sleep 0.1
  done
  port=$(sed -n 's/^PORT=\([0-9]*\).*/\1/p' "$dir/x11vnc.log" | head -n 1)
}
start_x11vnc
say "ready port=$port"

# Until the viewer exits: if its window is replaced (some viewers reopen it) or x11vnc dies, serve
# the new window on the same port; the gateway's RFB client reconnects.
while kill -0 "$java" 2>/dev/null; do
  sleep 1
  if ! kill -0 "$xvfb" 2>/dev/null; then say "error Xvfb died"; break; fi
  if ! viewable "$win" || ! kill -0 "$x11" 2>/dev/null; then
    set -- $(find_window)
    [ $# -eq 2 ] || continue
    kill -9 "$x11" 2>/dev/null
    wait "$x11" 2>/dev/null
    win=$1
    say "window $win $2"
    start_x11vnc
  fi
done
wait "$java"; code=$?
say "exit code=$code"
stop_all
exit "$code"
