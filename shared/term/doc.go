// Package term is an interactive console for chat clients: a line editor
// pinned to the bottom row of the terminal, with everything the program
// prints scrolling above it.
//
// # The problem
//
// A chat client prints incoming messages while the user types.
// github.com/peterh/liner, which gives us history and tab completion, owns
// the current terminal row while Prompt runs: it redraws the row with
// column-only moves (CHA "ESC[nG", or CR plus "ESC[nC") and "ESC[0K". Text
// printed from another goroutine lands in the middle of the typed line, and
// liner's next redraw lands in the middle of the text.
//
// # The scroll region
//
// Console keeps liner and splits the screen around it. With H rows, DECSTBM
// ("ESC[1;{H-1}r") makes rows 1..H-1 a scroll region; the prompt lives on
// row H, outside it. To print a line, Console sends, as one write under a
// mutex:
//
//	ESC 7                 save the cursor (liner's, on row H)
//	ESC[{H-1};1H          go to the bottom row of the region
//	CR ESC D text         IND scrolls the region up one row; the text
//	                      (wrapping, if long, inside the region) fills it
//	ESC 8 ESC[{H}d        restore the cursor; make sure it is on row H
//
// Row H never scrolls, so liner's line is left untouched, and because liner
// only moves within the current row, our save/restore pair is correct
// wherever it falls between liner's own writes. IND is used instead of LF so
// that the tty's output processing (ONLCR) does not split the write, which
// keeps each message one chunk for the terminal.
//
// Before each prompt Console re-establishes the region and puts the cursor
// at the start of row H. When liner accepts a line it prints "\n" (and
// "^C\n" on Ctrl-C); on the last row, outside the region, a line feed does
// not scroll, so the screen stays put and Console clears row H.
//
// # Resizing
//
// On SIGWINCH Console re-reads the size, clears the screen, sets the region
// for the new height (terminals reset it on resize), reprints the last lines
// written (it keeps the last 256) and leaves the cursor at the start of the
// new row H. Terminals reflow the old screen on a resize, and a message
// written just before the program saw the signal was placed for the old
// size; the repaint makes the result the same in every terminal.
//
// liner handles the same signal by redrawing its line, but the two handlers
// race: if liner redraws first, the repaint erases its line. So after the
// repaint Console sends itself one more SIGWINCH, which makes liner redraw
// once more, now on row H; Console ignores that signal because the size is
// unchanged. Other SIGWINCH listeners in the program see the extra signal.
//
// # Text written to the console
//
// Write treats each call as whole lines. Control characters other than tab,
// and invisible format characters (bidirectional overrides, zero widths:
// chatlab/shared/safetext.Invisible), are replaced with U+FFFD, as is
// invalid UTF-8: a chat message from a peer must not be able to move the
// cursor, change the region or reorder the line. Colour sequences (SGR,
// "ESC[…m") are the exception: they only set colours, and a line that has
// one ends with a reset ("ESC[0m"). A program that prints text from others
// still cleans it (safetext.Clean), or a peer can colour its lines.
//
// # Limitations
//
//   - Ctrl-L: liner clears the screen ("ESC[H ESC[2J") and redraws the
//     prompt on row 1, inside the region, where typing continues. The region
//     survives (erasing does not reset margins). The next message scrolls
//     that row away with the region and its trailing "ESC[{H}d" (above) puts
//     the cursor back on row H, so messages and input do not mix; but row H
//     then shows only what is typed after that, until liner redraws the whole
//     line (any editing key other than typing at the end of the line) or, at
//     the latest, the next prompt, where Console re-establishes the layout.
//     Console cannot see the key (liner reads the input), so it cannot do
//     better without forking liner.
//   - Terminals with fewer than 3 rows get no region: Write clears the
//     prompt row, prints, and asks liner to redraw (via SIGWINCH as above).
//   - Whether lines scrolled out of the region reach the terminal's
//     scrollback depends on the terminal: tmux, for one, keeps only lines
//     scrolled off a full-screen region.
//   - liner falls back to a plain cooked-mode read when the terminal is
//     narrower than the prompt plus 10 columns: the layout holds, but there
//     is no editing, and Ctrl-C raises SIGINT.
//   - The prompt of a Prompt call in progress cannot be changed: SetPrompt
//     takes effect at the next prompt.
//   - If the process dies without Close (SIGINT between prompts, SIGTERM, a
//     panic), the terminal keeps the region and liner's mode; "reset"
//     recovers it. Programs should catch those signals and Close.
package term
