// The page shown instead of the app when it was opened over plain HTTP by a
// LAN name: no secure context means no service worker and no crypto.subtle,
// so the app could never open offline. Says why, in Chinese then English,
// and links to the community CA page.

export function explainInsecure() {
  const https = `https://${location.host}${location.pathname}`;
  document.title = '需要 HTTPS · HTTPS needed';
  const view = document.getElementById('view');
  view.innerHTML = `
    <section class="insecure" id="insecure">
      <h2>请通过 HTTPS 打开走访应用</h2>
      <p>当前地址没有加密（http://），平板无法保存应用以便离线使用，也无法安全保存登录信息。</p>
      <p>第一次使用：先安装社区证书，再用 https:// 地址打开。</p>
      <p><a class="button" href="/ca">安装社区证书</a> <a class="button" href="${https}">改用 HTTPS 打开</a></p>
      <hr>
      <h3 lang="en">Open the visit app over HTTPS</h3>
      <p lang="en">This address is not encrypted (http://): the tablet cannot keep the app
        for offline use, nor keep your sign-in safe.</p>
      <p lang="en">First time: install the community certificate, then open the https:// address.</p>
      <p lang="en"><a href="/ca">Install the community certificate</a> ·
        <a href="${https}">Open over HTTPS</a></p>
    </section>`;
}
