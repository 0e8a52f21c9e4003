# A minimal SMTP receiver on 127.0.0.1 for the notification Pester tests (dot-sourced; not a test file itself).
# It speaks enough SMTP for a real client (MailKit, through the module): EHLO/HELO, MAIL FROM, RCPT TO (refusing the
# addresses it is told to refuse), DATA, RSET, NOOP, QUIT; it never offers STARTTLS or AUTH. Every message is kept as raw text.

if (-not ('CrmSyncPester.SmtpReceiver' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace CrmSyncPester
{
    public sealed class SmtpReceiver : IDisposable
    {
        private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        public ConcurrentQueue<string> Messages { get; } = new ConcurrentQueue<string>();
        public HashSet<string> Refused { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        public int Port { get; }

        public SmtpReceiver()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            Task.Run(AcceptAsync);
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(); } catch { return; }
                _ = Task.Run(() => Serve(client));
            }
        }

        private void Serve(TcpClient client)
        {
            using (client)
            using (var stream = client.GetStream())
            using (var reader = new StreamReader(stream, new UTF8Encoding(false)))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\r\n", AutoFlush = true })
            {
                writer.WriteLine("220 localhost pester SMTP");
                var data = new StringBuilder();
                string line;
                while ((line = reader.ReadLine()) != null)
                {
                    var verb = line.Length >= 4 ? line.Substring(0, 4).ToUpperInvariant() : line.ToUpperInvariant();
                    if (verb == "EHLO") { writer.WriteLine("250-localhost"); writer.WriteLine("250 8BITMIME"); }
                    else if (verb == "HELO") writer.WriteLine("250 localhost");
                    else if (verb == "MAIL") writer.WriteLine("250 2.1.0 Ok");
                    else if (verb == "RCPT")
                    {
                        var start = line.IndexOf('<'); var end = line.IndexOf('>');
                        var address = start >= 0 && end > start ? line.Substring(start + 1, end - start - 1) : "";
                        writer.WriteLine(Refused.Contains(address) ? "550 5.1.1 <" + address + ">: Recipient address rejected" : "250 2.1.5 Ok");
                    }
                    else if (verb == "DATA")
                    {
                        writer.WriteLine("354 End data with <CR><LF>.<CR><LF>");
                        data.Clear();
                        while ((line = reader.ReadLine()) != null && line != ".")
                            data.AppendLine(line.StartsWith("..") ? line.Substring(1) : line);
                        Messages.Enqueue(data.ToString());
                        writer.WriteLine("250 2.0.0 Ok: queued as PESTER" + Messages.Count);
                    }
                    else if (verb == "QUIT") { writer.WriteLine("221 2.0.0 Bye"); return; }
                    else if (verb == "RSET" || verb == "NOOP") writer.WriteLine("250 2.0.0 Ok");
                    else writer.WriteLine("502 5.5.2 Command not recognized");
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }
}
'@
}

function Start-CrmSyncTestSmtp {
    [CrmSyncPester.SmtpReceiver]::new()
}

function Get-CrmSyncFreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $port = $listener.LocalEndpoint.Port
    $listener.Stop()
    $port
}
