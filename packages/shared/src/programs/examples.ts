/**
 * The tutorials' example programs (LESSONS.md "The tutorials' example programs"), written in the project's
 * own words. The page shows them in the playground and the agent runs exactly this text (py.run
 * {example}): one definition each. Ports are the tutorials'; every address is loopback.
 */
export interface ExampleProgram {
  id: string;
  /** the file name it runs as (tracebacks and the code panel show it) */
  file: string;
  role: 'server' | 'client';
  proto: 'tcp' | 'udp';
  /** the example it talks to (a server for a client, and the other way round) */
  peer: string;
  source: string;
}

const helloServer = `import socket

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", 8888))
server.listen(5)
print("waiting for a connection on 127.0.0.1:8888")
conn, addr = server.accept()
print("connected by", addr)
data = conn.recv(1024)
print("received:", data.decode("utf-8"))
conn.send("hello, client".encode("utf-8"))
conn.close()
server.close()
`;

const helloClient = `import socket

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", 8888))
client.send("hello, server".encode("utf-8"))
reply = client.recv(1024)
print("received:", reply.decode("utf-8"))
client.close()
`;

const echoServer = `import socket

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 9999))
server.listen(5)
print("echo server on 127.0.0.1:9999")
while True:
    conn, addr = server.accept()
    print("client", addr)
    while True:
        data = conn.recv(1024)
        if not data:
            break
        conn.send(data)
    conn.close()
    print("client", addr, "left")
`;

const echoClient = `import socket

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", 9999))
for word in ["one", "two", "three"]:
    client.send(word.encode("utf-8"))
    print("echo:", client.recv(1024).decode("utf-8"))
client.close()
`;

const upperServer = `from socket import *

serverPort = 12000
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(("127.0.0.1", serverPort))
serverSocket.listen(1)
print("The server is ready to receive")
while True:
    connectionSocket, addr = serverSocket.accept()
    sentence = connectionSocket.recv(1024).decode()
    capitalizedSentence = sentence.upper()
    connectionSocket.send(capitalizedSentence.encode())
    connectionSocket.close()
`;

const upperClient = `from socket import *

serverName = "127.0.0.1"
serverPort = 12000
clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))
sentence = input("Input lowercase sentence: ")
clientSocket.send(sentence.encode())
modifiedSentence = clientSocket.recv(1024)
print("From server:", modifiedSentence.decode())
clientSocket.close()
`;

const udpUpperServer = `from socket import *

serverPort = 12000
serverSocket = socket(AF_INET, SOCK_DGRAM)
serverSocket.bind(("127.0.0.1", serverPort))
print("The server is ready to receive")
while True:
    message, clientAddress = serverSocket.recvfrom(2048)
    modifiedMessage = message.decode().upper()
    serverSocket.sendto(modifiedMessage.encode(), clientAddress)
`;

const udpUpperClient = `from socket import *

serverName = "127.0.0.1"
serverPort = 12000
clientSocket = socket(AF_INET, SOCK_DGRAM)
message = input("Input lowercase sentence: ")
clientSocket.sendto(message.encode(), (serverName, serverPort))
modifiedMessage, serverAddress = clientSocket.recvfrom(2048)
print(modifiedMessage.decode())
clientSocket.close()
`;

const udpEchoServer = `import socket

server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("127.0.0.1", 9998))
print("UDP echo server on 127.0.0.1:9998")
while True:
    data, addr = server.recvfrom(1024)
    print("from", addr, data)
    server.sendto(data, addr)
`;

const udpEchoClient = `import socket

client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for word in ["one", "two", "three"]:
    client.sendto(word.encode("utf-8"), ("127.0.0.1", 9998))
    data, addr = client.recvfrom(1024)
    print("echo from", addr, data.decode("utf-8"))
client.close()
`;

export const EXAMPLES: readonly ExampleProgram[] = [
  { id: 'hello-server', file: 'hello_server.py', role: 'server', proto: 'tcp', peer: 'hello-client', source: helloServer },
  { id: 'hello-client', file: 'hello_client.py', role: 'client', proto: 'tcp', peer: 'hello-server', source: helloClient },
  { id: 'echo-server', file: 'echo_server.py', role: 'server', proto: 'tcp', peer: 'echo-client', source: echoServer },
  { id: 'echo-client', file: 'echo_client.py', role: 'client', proto: 'tcp', peer: 'echo-server', source: echoClient },
  { id: 'upper-server', file: 'tcp_server.py', role: 'server', proto: 'tcp', peer: 'upper-client', source: upperServer },
  { id: 'upper-client', file: 'tcp_client.py', role: 'client', proto: 'tcp', peer: 'upper-server', source: upperClient },
  { id: 'udp-upper-server', file: 'udp_server.py', role: 'server', proto: 'udp', peer: 'udp-upper-client', source: udpUpperServer },
  { id: 'udp-upper-client', file: 'udp_client.py', role: 'client', proto: 'udp', peer: 'udp-upper-server', source: udpUpperClient },
  { id: 'udp-echo-server', file: 'udp_echo_server.py', role: 'server', proto: 'udp', peer: 'udp-echo-client', source: udpEchoServer },
  { id: 'udp-echo-client', file: 'udp_echo_client.py', role: 'client', proto: 'udp', peer: 'udp-echo-server', source: udpEchoClient },
];

export function findExample(id: string): ExampleProgram | undefined {
  return EXAMPLES.find((e) => e.id === id);
}
