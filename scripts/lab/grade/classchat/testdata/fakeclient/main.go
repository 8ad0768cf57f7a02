// Command fakeclient is a task 2 client with one defect, for the grader's
// tests: `fakeclient -defect D host port`.
//
//   - raw: shows each read from the socket as it comes, a line per read,
//     as the original client printed each recv(), and takes a read of
//     "exit" for the server's exit; otherwise right.
//   - nomux: waits on one thing at a time: reads a typed line, sends it,
//     then reads one line from the server; it never looks at the socket
//     while nothing is typed.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	defect := flag.String("defect", "raw", "raw or nomux")
	flag.Parse()
	conn, err := net.Dial("tcp", net.JoinHostPort(flag.Arg(0), flag.Arg(1)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	switch *defect {
	case "raw":
		raw(conn)
	case "nomux":
		nomux(conn)
	}
}

func raw(conn net.Conn) {
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				os.Exit(0)
			}
			chunk := string(buf[:n])
			fmt.Println(strings.TrimRight(chunk, "\n"))
			if strings.TrimSpace(chunk) == "exit" {
				os.Exit(0)
			}
		}
	}()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Fprintln(conn, in.Text())
		if in.Text() == "exit" {
			break
		}
	}
	// The server's last words, for 2 s at most: the reader ends the
	// program when the server closes the connection.
	time.Sleep(2 * time.Second)
}

func nomux(conn net.Conn) {
	from := bufio.NewReader(conn)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Fprintln(conn, in.Text())
		if in.Text() == "exit" {
			return
		}
		line, err := from.ReadString('\n')
		if err != nil {
			return
		}
		fmt.Print(line)
	}
}
