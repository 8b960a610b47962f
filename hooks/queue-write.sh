		# --- shared by notify-block.sh and client-block.sh (hooks/queue-write.sh) ---
		# The queue is per user: $XDG_STATE_HOME/git-annex-xmpp/queue (an
		# XDG_STATE_HOME that is not absolute is ignored, as the spec says).
		case ${XDG_STATE_HOME:-} in
			/*) git_annex_xmpp_state=$XDG_STATE_HOME/git-annex-xmpp ;;
			*) git_annex_xmpp_state=${HOME:-/nonexistent}/.local/state/git-annex-xmpp ;;
		esac
		git_annex_xmpp_queue=$git_annex_xmpp_state/queue
		[ -d "$git_annex_xmpp_queue" ] || (umask 077 && mkdir -p "$git_annex_xmpp_queue") || exit 0
		# git_annex_xmpp_enqueue HEADER BODY: one entry of kind $git_annex_xmpp_hook
		# for the repository $git_annex_xmpp_repo; HEADER is more header lines,
		# each ending in a newline, BODY the ref lines.
		git_annex_xmpp_enqueue() {
			# noclobber: each entry file is created new (O_EXCL), never shared.
			set -C
			git_annex_xmpp_n=0
			until { : >"$git_annex_xmpp_queue/e.$$.$git_annex_xmpp_n"; } 2>/dev/null; do
				git_annex_xmpp_n=$((git_annex_xmpp_n + 1))
				[ "$git_annex_xmpp_n" -lt 1000 ] || return 1
			done
			set +C
			# The entry counts once its last line, "end", is there.
			printf 'git-annex-xmpp-queue 1\nhook %s\nrepo %s\n%s\n%s\nend\n' \
				"$git_annex_xmpp_hook" "$git_annex_xmpp_repo" "$1" "$2" >>"$git_annex_xmpp_queue/e.$$.$git_annex_xmpp_n"
		}
		# git_annex_xmpp_wake: make sure someone sends the queue.
		git_annex_xmpp_wake() {
			# An agent or a sender holds the queue lock: it sees the entry by itself.
			git_annex_xmpp_pid=
			{ read -r git_annex_xmpp_pid <"$git_annex_xmpp_state/queue.lock"; } 2>/dev/null || :
			case $git_annex_xmpp_pid in
				'' | *[!0-9]*) ;;
				*) if kill -0 "$git_annex_xmpp_pid" 2>/dev/null; then return 0; fi ;;
			esac
			# None: start one sender, detached from the push (its own session,
			# no descriptor of ours), so that even an ssh push returns at once.
			if @CLI_PRESENT@; then
				set -- @CLI@
			elif command -v git-annex-xmpp >/dev/null 2>&1; then
				set -- git-annex-xmpp
			else
				return 0
			fi
			if command -v setsid >/dev/null 2>&1; then
				setsid -f "$@" flush --background </dev/null >/dev/null 2>&1
			else
				("$@" flush --background </dev/null >/dev/null 2>&1 &)
			fi
		}
		# --- end of hooks/queue-write.sh ---
