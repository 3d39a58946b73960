<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>Application</name>
    <message>
        <location filename="../../ui/application.py" line="60"/>
        <source>出错了</source>
        <translation>Something went wrong</translation>
    </message>
    <message>
        <location filename="../../ui/application.py" line="61"/>
        <source>程序遇到意外错误：%1

详细信息已记录在日志文件：
%2</source>
        <translation>The program ran into an unexpected error: %1

The details are in the log file:
%2</translation>
    </message>
    <message>
        <location filename="../../ui/application.py" line="141"/>
        <source>填报通已在运行</source>
        <translation>Tianbao is already running</translation>
    </message>
    <message>
        <location filename="../../ui/application.py" line="142"/>
        <source>另一个填报通窗口正在使用这个数据库，但没有响应：
%1</source>
        <translation>Another Tianbao window is using this database but does not respond:
%1</translation>
    </message>
    <message>
        <location filename="../../ui/application.py" line="197"/>
        <source>无法打开数据库</source>
        <translation>Cannot open the database</translation>
    </message>
</context>
<context>
    <name>CheckPanel</name>
    <message>
        <location filename="../../ui/check_panel.py" line="86"/>
        <location filename="../../ui/check_panel.py" line="111"/>
        <source>错误</source>
        <translation>Error</translation>
    </message>
    <message>
        <location filename="../../ui/check_panel.py" line="91"/>
        <location filename="../../ui/check_panel.py" line="112"/>
        <source>提示</source>
        <translation>Warning</translation>
    </message>
    <message>
        <location filename="../../ui/check_panel.py" line="98"/>
        <source>%1，需填写情况说明</source>
        <translation>%1: needs an explanation</translation>
    </message>
    <message>
        <location filename="../../ui/check_panel.py" line="99"/>
        <location filename="../../ui/check_panel.py" line="103"/>
        <source>待说明</source>
        <translation>To explain</translation>
    </message>
    <message>
        <location filename="../../ui/check_panel.py" line="103"/>
        <source>需填写情况说明</source>
        <translation>Needs an explanation</translation>
    </message>
    <message>
        <location filename="../../ui/check_panel.py" line="119"/>
        <source>尚不能签名报送：%1 个错误，%2 项待填写情况说明。</source>
        <translation>Not ready to sign: %1 error(s), %2 explanation(s) still to write.</translation>
    </message>
    <message>
        <location filename="../../ui/check_panel.py" line="125"/>
        <source>已填 %1/%2 项，目前没有错误。</source>
        <translation>%1 of %2 filled in, no errors so far.</translation>
    </message>
    <message>
        <location filename="../../ui/check_panel.py" line="128"/>
        <source>自查通过：没有错误，所需情况说明均已填写。</source>
        <translation>Self-check passed: no errors, every required explanation is written.</translation>
    </message>
</context>
<context>
    <name>CityActions</name>
    <message>
        <location filename="../../ui/city_actions.py" line="39"/>
        <location filename="../../ui/city_actions.py" line="45"/>
        <source>退回报送</source>
        <translation>Return submission</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="40"/>
        <source>请先在“单位”中选择要退回的区县。</source>
        <translation>First choose the district to return under “Unit”.</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="46"/>
        <source>退回 %1 %2 的报送，原因：</source>
        <translation>Return the submission of %1 %2, reason:</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="52"/>
        <source>市级 CA 私钥口令</source>
        <translation>City CA key passphrase</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="59"/>
        <source>保存退回通知</source>
        <translation>Save the return notice</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="61"/>
        <source>退回通知 (*.json)</source>
        <translation>Return notices (*.json)</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="68"/>
        <source>未退回</source>
        <translation>Not returned</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="72"/>
        <source>已退回第 %1 版，通知已保存：%2</source>
        <translation>Revision %1 returned; notice saved: %2</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="99"/>
        <source>未导入</source>
        <translation>Not imported</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="104"/>
        <source>报送被退回</source>
        <translation>Submission returned</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="105"/>
        <source>市级退回了 %1 %2 第 %3 版：
%4

修改后重新签名报送即可。</source>
        <translation>The city returned %1 %2 revision %3:
%4

Correct it and sign again.</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="122"/>
        <source>市级单位私钥口令</source>
        <translation>City unit key passphrase</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="127"/>
        <source>保存全市汇总报告到</source>
        <translation>Save the city report to</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="137"/>
        <source>未导出</source>
        <translation>Not exported</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="139"/>
        <source>已导出全市汇总报告：%1</source>
        <translation>City report exported: %1</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="178"/>
        <location filename="../../ui/city_actions.py" line="193"/>
        <source>版本对比</source>
        <translation>Compare revisions</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="194"/>
        <source>本期只有一个版本。</source>
        <translation>This period has only one revision.</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="176"/>
        <source>第 %1 版</source>
        <translation>Revision %1</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="85"/>
        <source>导入市级通知</source>
        <translation>Import a notice from the city</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="87"/>
        <source>市级通知：退回、延期 (*.json)</source>
        <translation>City notices: returns, extensions (*.json)</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="197"/>
        <source>旧版本：</source>
        <translation>Older revision:</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="200"/>
        <source>新版本：</source>
        <translation>Newer revision:</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="205"/>
        <source>%1 %2：第 %3 版 → 第 %4 版</source>
        <translation>%1 %2: revision %3 → revision %4</translation>
    </message>
</context>
<context>
    <name>ContributionDialog</name>
    <message>
        <location filename="../../ui/matrix_view.py" line="428"/>
        <source>全市数构成：%1</source>
        <translation>City figure breakdown: %1</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="431"/>
        <source>%1（%2，%3）· %4</source>
        <translation>%1 (%2, %3) · %4</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="480"/>
        <source>暂无数值</source>
        <translation>no figure yet</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="485"/>
        <source>全市 = 分子之和 ÷ 分母之和%1 = %2</source>
        <translation>City = sum of numerators ÷ sum of denominators%1 = %2</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="489"/>
        <source>全市 = 分子之和 ÷ 分母之和%1 = %2 ÷ %3%1 = %4</source>
        <translation>City = sum of numerators ÷ sum of denominators%1 = %2 ÷ %3%1 = %4</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="496"/>
        <source>全市 = 各单位之和 = %1</source>
        <translation>City = sum over units = %1</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="498"/>
        <source>全市 = 各单位中的最大值 = %1</source>
        <translation>City = largest unit figure = %1</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="500"/>
        <source>全市 = 各单位中的最小值 = %1</source>
        <translation>City = smallest unit figure = %1</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="502"/>
        <source>全市 = 由汇总后的数据按公式计算（%1）= %2</source>
        <translation>City = formula over the aggregated inputs (%1) = %2</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="505"/>
        <source>；须每个单位都报齐公式所用的数据才能计算</source>
        <translation>; every unit must report the formula&apos;s inputs first</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="507"/>
        <source>全市 = 市级自行填报，不由各单位汇总 = %1</source>
        <translation>City = entered by the city, not aggregated = %1</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="513"/>
        <source>市级自行填报</source>
        <translation>Entered by the city</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="516"/>
        <source>计入 %1/%2 个单位</source>
        <translation>%1 of %2 units counted</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="521"/>
        <source>%1；全市目标 %2，预期进度值 %3；全市状态：%4</source>
        <translation>%1; city target %2, expected %3; city status: %4</translation>
    </message>
</context>
<context>
    <name>ContributionModel</name>
    <message>
        <location filename="../../ui/matrix_view.py" line="351"/>
        <source>单位</source>
        <translation>Unit</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="351"/>
        <source>本期值</source>
        <translation>Value</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="351"/>
        <source>分子</source>
        <translation>Numerator</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="351"/>
        <source>分母</source>
        <translation>Denominator</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="351"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="415"/>
        <source>未计入全市数：该单位本期未报送</source>
        <translation>Not in the city figure: nothing submitted for this period</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="416"/>
        <source>未计入全市数：该单位缺少本指标的数据</source>
        <translation>Not in the city figure: this unit lacks data for the indicator</translation>
    </message>
</context>
<context>
    <name>Deadline</name>
    <message>
        <location filename="../../ui/deadline.py" line="42"/>
        <source>%1年%2月%3日</source>
        <translation>%1-%2-%3</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="53"/>
        <source>尚未开始填报（%1开始）</source>
        <translation>Not open yet (opens %1)</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="56"/>
        <source>距截止还有 %1 天（%2截止）</source>
        <translation>%1 day(s) left (due %2)</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="61"/>
        <location filename="../../ui/deadline.py" line="79"/>
        <source>今天截止</source>
        <translation>Due today</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="64"/>
        <source>已逾期 %1 天（%2截止，%3关闭）</source>
        <translation>%1 day(s) overdue (was due %2, closes %3)</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="69"/>
        <source>已截止（%1关闭填报）</source>
        <translation>Closed (entry closed %1)</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="75"/>
        <source>尚未开始填报</source>
        <translation>Not open yet</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="77"/>
        <source>距截止还有 %1 天</source>
        <translation>%1 day(s) left</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="81"/>
        <source>已逾期 %1 天</source>
        <translation>%1 day(s) overdue</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="82"/>
        <source>已截止</source>
        <translation>Closed</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="89"/>
        <source>截止日期延至%1</source>
        <translation>due date moved to %1</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="91"/>
        <source>填报开放至%1</source>
        <translation>open for entry until %1</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="92"/>
        <source>，</source>
        <translation>, </translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="98"/>
        <source>按时</source>
        <translation>On time</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="100"/>
        <source>逾期 %1 天</source>
        <translation>%1 day(s) late</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="102"/>
        <source>未报</source>
        <translation>Not received</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="103"/>
        <source>未报（未到截止日）</source>
        <translation>Not received (not yet due)</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="110"/>
        <source>%1 %2（北京时间）</source>
        <translation>%1 %2 (Beijing time)</translation>
    </message>
    <message>
        <location filename="../../ui/deadline.py" line="145"/>
        <source>（%1）</source>
        <translation> (%1)</translation>
    </message>
</context>
<context>
    <name>DiffDialog</name>
    <message>
        <location filename="../../ui/city_actions.py" line="150"/>
        <source>本期值</source>
        <translation>Value</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="151"/>
        <source>分子</source>
        <translation>Numerator</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="152"/>
        <source>分母</source>
        <translation>Denominator</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="153"/>
        <source>情况说明</source>
        <translation>Explanation</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="156"/>
        <source>指标</source>
        <translation>Indicator</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="156"/>
        <source>栏目</source>
        <translation>Column</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="156"/>
        <source>原值</source>
        <translation>Old</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="156"/>
        <source>新值</source>
        <translation>New</translation>
    </message>
    <message>
        <location filename="../../ui/city_actions.py" line="169"/>
        <source>%1 处改动</source>
        <translation>%1 change(s)</translation>
    </message>
</context>
<context>
    <name>ExtensionDialog</name>
    <message>
        <location filename="../../ui/extension_dialog.py" line="68"/>
        <location filename="../../ui/extension_dialog.py" line="150"/>
        <source>延期 / 重新开放</source>
        <translation>Extend / reopen</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="73"/>
        <source>%1：%2开始填报，%3截止，%4关闭填报。</source>
        <translation>%1: opens %2, due %3, entry closes %4.</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="84"/>
        <source>截止日期延至</source>
        <translation>Move the due date to</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="86"/>
        <source>重新开放填报至</source>
        <translation>Reopen entry until</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="92"/>
        <source>延期原因（写入签名的延期通知，区县可见）</source>
        <translation>Reason (written into the signed notice; the district sees it)</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="94"/>
        <source>单位：</source>
        <translation>Unit:</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="97"/>
        <source>原因：</source>
        <translation>Reason:</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="98"/>
        <source>确定后输入市级 CA 私钥口令，并选择延期通知的保存位置；将通知交该单位导入。</source>
        <translation>After OK, type the city CA key passphrase and choose where to save the extension notice; give the notice to the unit to import.</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="151"/>
        <source>模板没有规定%1的填报期，无需延期。</source>
        <translation>The template sets no reporting window for %1: there is nothing to extend.</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="159"/>
        <source>市级 CA 私钥口令</source>
        <translation>City CA key passphrase</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="166"/>
        <source>保存延期通知</source>
        <translation>Save the extension notice</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="168"/>
        <source>延期通知 (*.json)</source>
        <translation>Extension notices (*.json)</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="185"/>
        <source>未延期</source>
        <translation>Not extended</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="189"/>
        <source>已为 %1 %2 延期：%3；延期通知已保存：%4</source>
        <translation>Extended for %1 %2: %3; notice saved: %4</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="206"/>
        <source>未导入</source>
        <translation>Not imported</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="212"/>
        <source>市级延期通知</source>
        <translation>Extension from the city</translation>
    </message>
    <message>
        <location filename="../../ui/extension_dialog.py" line="213"/>
        <source>市级已为 %1 %2 延期：%3。
原因：%4</source>
        <translation>The city extended %1 %2: %3.
Reason: %4</translation>
    </message>
</context>
<context>
    <name>FirstRunWizard</name>
    <message>
        <location filename="../../ui/wizard.py" line="52"/>
        <source>填报通 — 首次使用</source>
        <translation>Tianbao — first start</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="59"/>
        <source>您的角色</source>
        <translation>Your role</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="60"/>
        <source>区县填报：填写本单位的指标、自查并报送</source>
        <translation>District: fill in your unit&apos;s indicators, check and submit them</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="61"/>
        <source>市级汇总：下发模板、汇总各区县报送</source>
        <translation>City: issue templates and aggregate the districts&apos; submissions</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="73"/>
        <source>指标模板</source>
        <translation>Indicator template</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="74"/>
        <source>使用演示指标体系（演示数据）</source>
        <translation>Use the demo catalog (demo data)</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="75"/>
        <source>导入市里下发的模板文件</source>
        <translation>Import the template file issued by the city</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="78"/>
        <source>浏览…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="91"/>
        <source>本单位</source>
        <translation>Your unit</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="94"/>
        <source>选择您所在的报送单位：</source>
        <translation>Choose the reporting unit you work for:</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="99"/>
        <source>选择模板文件</source>
        <translation>Choose a template file</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="99"/>
        <source>模板文件 (*.json)</source>
        <translation>Template files (*.json)</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="117"/>
        <source>市级证书</source>
        <translation>City certificate</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="118"/>
        <source>已记下签发模板的市级证书。请与市级电话核对指纹：
%1</source>
        <translation>The city certificate that signed this template has been recorded. Confirm its fingerprint with the city by phone:
%1</translation>
    </message>
    <message>
        <location filename="../../ui/wizard.py" line="123"/>
        <source>模板不能导入</source>
        <translation>Template not imported</translation>
    </message>
</context>
<context>
    <name>FormModel</name>
    <message>
        <location filename="../../ui/form_model.py" line="125"/>
        <source>序号</source>
        <translation>No.</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="126"/>
        <source>指标</source>
        <translation>Indicator</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="127"/>
        <source>单位</source>
        <translation>Unit</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="128"/>
        <source>分子</source>
        <translation>Numerator</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="129"/>
        <source>分母</source>
        <translation>Denominator</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="130"/>
        <source>本期值</source>
        <translation>Value</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="131"/>
        <source>目标</source>
        <translation>Target</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="132"/>
        <source>预期进度值</source>
        <translation>Expected</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="133"/>
        <source>完成率</source>
        <translation>Progress</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="134"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="135"/>
        <source>上期值</source>
        <translation>Previous</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="136"/>
        <source>情况说明</source>
        <translation>Explanation</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="234"/>
        <source>（需填写情况说明）</source>
        <translation>(explanation needed)</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="254"/>
        <source>填报</source>
        <translation>entered</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="254"/>
        <source>比率：分子 ÷ 分母</source>
        <translation>ratio: numerator ÷ denominator</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="254"/>
        <source>计算：</source>
        <translation>computed: </translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="288"/>
        <source>分组标题行不能填写</source>
        <translation>Group headings cannot be filled in</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="290"/>
        <source>“%1”一栏由程序计算，不能填写</source>
        <translation>The “%1” column is computed and cannot be typed into</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="292"/>
        <source>%1是计算型指标，由公式自动计算</source>
        <translation>%1 is computed from its formula</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="294"/>
        <source>%1由下级单位的填报汇总得出，不能在此填写</source>
        <translation>%1 is aggregated from the units below and cannot be typed in here</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="296"/>
        <source>%1是比率型指标，请填写分子和分母</source>
        <translation>%1 is a ratio: fill in the numerator and the denominator</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="297"/>
        <source>%1没有分子和分母，请填写本期值</source>
        <translation>%1 has no numerator or denominator: fill in the value</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="309"/>
        <source>“%1”的这一栏不能填写</source>
        <translation>This column of “%1” cannot be filled in</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="314"/>
        <source>情况说明不能超过 %1 字</source>
        <translation>An explanation can have at most %1 characters</translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="334"/>
        <source>第 %1 行：</source>
        <translation>Row %1: </translation>
    </message>
    <message>
        <location filename="../../ui/form_model.py" line="355"/>
        <source>修改 %1</source>
        <translation>Edit %1</translation>
    </message>
</context>
<context>
    <name>FormView</name>
    <message>
        <location filename="../../ui/form_view.py" line="423"/>
        <source>粘贴内容超出表格范围，多出的部分未粘贴</source>
        <translation>The pasted block is larger than the form; the rest was not pasted</translation>
    </message>
    <message>
        <location filename="../../ui/form_view.py" line="417"/>
        <source>粘贴 %1 个单元格</source>
        <translation>Paste %1 cell(s)</translation>
    </message>
    <message>
        <location filename="../../ui/form_view.py" line="430"/>
        <source>清除 %1 个单元格</source>
        <translation>Clear %1 cell(s)</translation>
    </message>
</context>
<context>
    <name>GuideWindow</name>
    <message>
        <location filename="../../ui/user_guide.py" line="28"/>
        <source>填报通 用户手册</source>
        <translation>Tianbao user guide</translation>
    </message>
</context>
<context>
    <name>HistoryPanel</name>
    <message>
        <location filename="../../ui/history_panel.py" line="44"/>
        <location filename="../../ui/history_panel.py" line="65"/>
        <source>版本</source>
        <translation>Revision</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="45"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="46"/>
        <source>创建时间</source>
        <translation>Created</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="47"/>
        <source>锁定时间</source>
        <translation>Locked</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="48"/>
        <source>锁定人</source>
        <translation>Locked by</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="49"/>
        <source>退回原因</source>
        <translation>Reason returned</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="65"/>
        <source>时间</source>
        <translation>Time</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="65"/>
        <source>操作人</source>
        <translation>User</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="65"/>
        <source>栏目</source>
        <translation>Column</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="65"/>
        <source>原值</source>
        <translation>Old</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="65"/>
        <source>新值</source>
        <translation>New</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="69"/>
        <source>本期填报版本</source>
        <translation>Revisions of this period</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="79"/>
        <source>填报中</source>
        <translation>Draft</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="79"/>
        <source>已锁定</source>
        <translation>Locked</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="79"/>
        <source>已退回</source>
        <translation>Returned</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="95"/>
        <source>第 %1 版被退回：%2</source>
        <translation>Revision %1 was returned: %2</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="104"/>
        <source>市级延期（%1）：%2；原因：%3</source>
        <translation>Extended by the city (%1): %2; reason: %3</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="115"/>
        <source>本期值</source>
        <translation>Value</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="116"/>
        <source>分子</source>
        <translation>Numerator</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="117"/>
        <source>分母</source>
        <translation>Denominator</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="118"/>
        <source>情况说明</source>
        <translation>Explanation</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="124"/>
        <source>选择一个指标查看修改记录</source>
        <translation>Select an indicator to see its changes</translation>
    </message>
    <message>
        <location filename="../../ui/history_panel.py" line="127"/>
        <source>修改记录：%1</source>
        <translation>Changes: %1</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <location filename="../../ui/import_dialog.py" line="63"/>
        <source>已导入</source>
        <translation>Imported</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="64"/>
        <source>已导入（已有更新版本）</source>
        <translation>Imported (a newer revision is held)</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="65"/>
        <source>已导入过</source>
        <translation>Already imported</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="66"/>
        <source>版本冲突</source>
        <translation>Revision conflict</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="67"/>
        <source>签名后被改动</source>
        <translation>Altered after signing</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="68"/>
        <source>签名无效</source>
        <translation>Invalid signature</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="69"/>
        <source>证书未知或非市级签发</source>
        <translation>Certificate unknown or not issued by the city</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="70"/>
        <source>签名单位不符</source>
        <translation>Signed by another unit</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="71"/>
        <source>模板版本或报告期不符</source>
        <translation>Template version or period does not match</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="72"/>
        <source>单位不在本市</source>
        <translation>Unit not in this city</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="73"/>
        <source>不是报送文件</source>
        <translation>Not a submission file</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="74"/>
        <source>无法读取</source>
        <translation>Unreadable</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="75"/>
        <source>已取消</source>
        <translation>Cancelled</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="83"/>
        <source>没有找到报送文件（.xlsx 或 .pdf）。</source>
        <translation>No submission files (.xlsx or .pdf) found.</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="86"/>
        <source>共 %1 个文件：%2 个已导入，%3 个已导入过，%4 个未导入</source>
        <translation>%1 files: %2 imported, %3 already imported, %4 not imported</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="94"/>
        <source>%1 个%2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="97"/>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="98"/>
        <source>（%1）</source>
        <translation> (%1)</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="99"/>
        <source>。</source>
        <translation>.</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="143"/>
        <source>文件</source>
        <translation>File</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="144"/>
        <source>结果</source>
        <translation>Result</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="145"/>
        <source>单位</source>
        <translation>Unit</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="146"/>
        <source>报告期</source>
        <translation>Period</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="147"/>
        <source>版本</source>
        <translation>Revision</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="148"/>
        <source>说明</source>
        <translation>Details</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="222"/>
        <source>导入区县报送文件</source>
        <translation>Import district submissions</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="226"/>
        <source>选择文件…</source>
        <translation>Choose files…</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="228"/>
        <source>选择文件夹…</source>
        <translation>Choose folder…</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="230"/>
        <source>区县报送的 Excel 或 PDF 文件，逐个核验签名后导入；也可以把文件或文件夹拖到这里。</source>
        <translation>Excel or PDF files submitted by the districts; each signature is checked before import. You can also drop files or folders here.</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="237"/>
        <location filename="../../ui/import_dialog.py" line="341"/>
        <source>正在核验并导入…</source>
        <translation>Verifying and importing…</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="240"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="289"/>
        <source>选择报送文件</source>
        <translation>Choose submission files</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="289"/>
        <source>报送文件 (*.xlsx *.pdf)</source>
        <translation>Submission files (*.xlsx *.pdf)</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="296"/>
        <source>选择含报送文件的文件夹</source>
        <translation>Choose a folder of submission files</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="359"/>
        <source>正在取消…</source>
        <translation>Cancelling…</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="368"/>
        <source>%1 / %2 个文件</source>
        <translation>%1 / %2 files</translation>
    </message>
    <message>
        <location filename="../../ui/import_dialog.py" line="382"/>
        <source>导入未完成：%1</source>
        <translation>Import not completed: %1</translation>
    </message>
</context>
<context>
    <name>KeysDialog</name>
    <message>
        <location filename="../../ui/keys_dialog.py" line="30"/>
        <source>口令：</source>
        <translation>Passphrase:</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="36"/>
        <source>再输入一次：</source>
        <translation>Once more:</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="41"/>
        <source>两次输入的口令不一致</source>
        <translation>The two passphrases differ</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="52"/>
        <source>密钥与证书</source>
        <translation>Keys and certificates</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="59"/>
        <source>生成市级 CA…</source>
        <translation>Create the city CA…</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="60"/>
        <source>为区县的证书请求签发证书…</source>
        <translation>Issue a certificate for a district request…</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="62"/>
        <source>生成本单位密钥和证书请求…</source>
        <translation>Create this unit&apos;s key and certificate request…</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="63"/>
        <source>导入市级签发的证书…</source>
        <translation>Import the certificate issued by the city…</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="75"/>
        <source>密钥文件夹：%1</source>
        <translation>Key folder: %1</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="80"/>
        <source>还没有市级 CA 证书</source>
        <translation>No city CA certificate yet</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="78"/>
        <source>市级 CA 证书指纹：</source>
        <translation>City CA certificate fingerprint:</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="85"/>
        <source>本单位证书（有效期至 %1）指纹：</source>
        <translation>This unit&apos;s certificate (valid until %1), fingerprint:</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="90"/>
        <source>本单位还没有证书</source>
        <translation>This unit has no certificate yet</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="94"/>
        <source>未完成</source>
        <translation>Not done</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="97"/>
        <source>生成市级 CA</source>
        <translation>Create the city CA</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="97"/>
        <source>签发机关名称：</source>
        <translation>Issuing authority:</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="100"/>
        <source>为市级 CA 私钥设置口令</source>
        <translation>Set a passphrase for the city CA key</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="109"/>
        <source>市级 CA</source>
        <translation>City CA</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="109"/>
        <source>已生成。请把证书指纹通知各区县：
%1</source>
        <translation>Created. Tell the districts its fingerprint:
%1</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="114"/>
        <source>选择证书请求</source>
        <translation>Choose a certificate request</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="114"/>
        <source>证书请求 (*.csr.pem *.pem)</source>
        <translation>Certificate requests (*.csr.pem *.pem)</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="117"/>
        <source>市级 CA 私钥口令</source>
        <translation>City CA key passphrase</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="127"/>
        <source>已签发</source>
        <translation>Issued</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="128"/>
        <source>证书已写入 %1
指纹：%2</source>
        <translation>Certificate written to %1
Fingerprint: %2</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="132"/>
        <source>为本单位私钥设置口令</source>
        <translation>Set a passphrase for this unit&apos;s key</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="142"/>
        <source>证书请求</source>
        <translation>Certificate request</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="143"/>
        <source>已生成 %1，请交市级签发。
公钥指纹（请电话告知市级核对）：%2</source>
        <translation>Created %1; hand it to the city to issue.
Public key fingerprint (tell the city by phone): %2</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="149"/>
        <source>选择证书</source>
        <translation>Choose a certificate</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="149"/>
        <source>证书 (*.crt.pem *.pem)</source>
        <translation>Certificates (*.crt.pem *.pem)</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="157"/>
        <source>已导入</source>
        <translation>Imported</translation>
    </message>
    <message>
        <location filename="../../ui/keys_dialog.py" line="157"/>
        <source>证书指纹：%1</source>
        <translation>Certificate fingerprint: %1</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="69"/>
        <source>填报通 Tianbao</source>
        <translation>Tianbao</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="108"/>
        <source>自查</source>
        <translation>Self-check</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="110"/>
        <source>历史</source>
        <translation>History</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="109"/>
        <source>进度图</source>
        <translation>Progress chart</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="125"/>
        <source>就绪</source>
        <translation>Ready</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="147"/>
        <source>报告期</source>
        <translation>Period</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="150"/>
        <source> 单位：</source>
        <translation> Unit: </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="152"/>
        <source>  年度：</source>
        <translation>  Year: </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="154"/>
        <source>  报告期：</source>
        <translation>  Period: </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="157"/>
        <source>撤销</source>
        <translation>Undo</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="159"/>
        <source>重做</source>
        <translation>Redo</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="106"/>
        <source>文件(&amp;F)</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="107"/>
        <source>导入指标模板…</source>
        <translation>Import indicator template…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="108"/>
        <source>导出数值表（Excel / CSV）…</source>
        <translation>Export a values sheet (Excel / CSV)…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="109"/>
        <source>导入数值（CSV / Excel）…</source>
        <translation>Import values (CSV / Excel)…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="111"/>
        <source>退出</source>
        <translation>Quit</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="116"/>
        <source>报送(&amp;R)</source>
        <translation>&amp;Report</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="118"/>
        <source>签名并锁定…</source>
        <translation>Sign and lock…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="119"/>
        <source>导出已签名的 Excel 和 PDF…</source>
        <translation>Export the signed Excel and PDF…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="120"/>
        <source>打印预览…</source>
        <translation>Print preview…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="121"/>
        <source>核验报送文件…</source>
        <translation>Verify submission files…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="122"/>
        <source>版本对比…</source>
        <translation>Compare revisions…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="123"/>
        <source>导入市级通知（退回 / 延期）…</source>
        <translation>Import a notice from the city (return / extension)…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="124"/>
        <source>密钥与证书…</source>
        <translation>Keys and certificates…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="125"/>
        <source>报送记录…</source>
        <translation>Submission record…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="131"/>
        <source>汇总(&amp;C)</source>
        <translation>&amp;City</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="133"/>
        <source>导入区县报送文件…</source>
        <translation>Import district submissions…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="134"/>
        <source>完成情况矩阵…</source>
        <translation>Completeness matrix…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="135"/>
        <source>退回当前单位的报送…</source>
        <translation>Return this unit&apos;s submission…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="136"/>
        <source>延期 / 重新开放…</source>
        <translation>Extend / reopen…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="137"/>
        <source>导出全市汇总报告…</source>
        <translation>Export the city report…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="149"/>
        <source>编辑(&amp;E)</source>
        <translation>&amp;Edit</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="152"/>
        <source>视图(&amp;V)</source>
        <translation>&amp;View</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="155"/>
        <source>设置(&amp;S)</source>
        <translation>&amp;Settings</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="156"/>
        <source>语言和角色…</source>
        <translation>Language and role…</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="157"/>
        <source>帮助(&amp;H)</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="158"/>
        <source>用户手册</source>
        <translation>User guide</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="86"/>
        <location filename="../../ui/menus.py" line="160"/>
        <source>关于填报通</source>
        <translation>About Tianbao</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="214"/>
        <source>（汇总）</source>
        <translation> (aggregated)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="266"/>
        <source>无法打开</source>
        <translation>Cannot open</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="281"/>
        <source>【演示数据】本指标体系为演示用重建版本，并非正式发布的指标清单。 </source>
        <translation>[Demo data] This catalog is a reconstruction for demonstration, not the officially published list. </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="286"/>
        <source>由下级单位填报汇总，只可填写本级指标和情况说明。</source>
        <translation>Aggregated from the units below; only this level&apos;s own indicators and explanations can be filled in.</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="290"/>
        <source>市级已退回第 %1 版（原因见“历史”）；修改后重新签名报送。</source>
        <translation>The city returned revision %1 (see History for the reason); correct it and sign again.</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="294"/>
        <source>第 %1 版已签名锁定；修改任何数值将生成第 %2 版。</source>
        <translation>Revision %1 is signed and locked; changing any figure opens revision %2.</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="356"/>
        <source>导入指标模板</source>
        <translation>Import indicator template</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="356"/>
        <source>模板文件 (*.json)</source>
        <translation>Template files (*.json)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="368"/>
        <source>模板不能导入</source>
        <translation>Template not imported</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="373"/>
        <source>市级证书</source>
        <translation>City certificate</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="374"/>
        <source>已记下签发模板的市级证书。请与市级电话核对指纹：
%1</source>
        <translation>The city certificate that signed this template has been recorded. Confirm its fingerprint with the city by phone:
%1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="379"/>
        <source>已导入模板：%1</source>
        <translation>Template imported: %1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="379"/>
        <source>该模板已导入过：%1</source>
        <translation>This template was already imported: %1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="416"/>
        <source>设置已保存；语言在重新启动后生效</source>
        <translation>Settings saved; the language changes at the next start</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="87"/>
        <source>填报通 Tianbao %1
指标离线填报、自查与汇总。
数据库：%2</source>
        <translation>Tianbao %1
Offline indicator reporting, self-check and aggregation.
Database: %2</translation>
    </message>
</context>
<context>
    <name>MatrixDialog</name>
    <message>
        <location filename="../../ui/matrix_view.py" line="538"/>
        <location filename="../../ui/matrix_view.py" line="707"/>
        <location filename="../../ui/matrix_view.py" line="750"/>
        <source>完成情况矩阵</source>
        <translation>Completeness matrix</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="556"/>
        <location filename="../../ui/matrix_view.py" line="615"/>
        <source>全部</source>
        <translation>All</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="559"/>
        <source>刷新</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="561"/>
        <source>双击全市行的单元格或列标题，查看各单位的构成。</source>
        <translation>Double-click a city cell or a column header to see each unit&apos;s contribution.</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="564"/>
        <source>领域：</source>
        <translation>Field:</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="567"/>
        <source>状态：</source>
        <translation>Status:</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="592"/>
        <source>导出 Excel…</source>
        <translation>Export to Excel…</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="626"/>
        <source>%1 %2 完成情况（%3 个单位）</source>
        <translation>%1 %2 completeness (%3 units)</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="631"/>
        <source>全市：%1</source>
        <translation>City: %1</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="636"/>
        <source>已报送 %1/%2 个单位（已锁定 %3，填报中 %4，已退回 %5）；未报送 %6 个：%7。</source>
        <translation>%1 of %2 units submitted (%3 locked, %4 in progress, %5 returned); %6 not submitted: %7.</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="638"/>
        <source>已报送 %1/%2 个单位（已锁定 %3，填报中 %4，已退回 %5）；未报送 %6 个。</source>
        <translation>%1 of %2 units submitted (%3 locked, %4 in progress, %5 returned); %6 not submitted.</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="653"/>
        <source>报送及时情况（以市级收到时间为准）：%1</source>
        <translation>Timeliness (by when the city received each submission): %1</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="687"/>
        <source>导出完成情况</source>
        <translation>Export completeness</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="687"/>
        <source>Excel 工作簿 (*.xlsx)</source>
        <translation>Excel workbook (*.xlsx)</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="697"/>
        <source>未导出</source>
        <translation>Not exported</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="699"/>
        <source>已导出：%1</source>
        <translation>Exported: %1</translation>
    </message>
</context>
<context>
    <name>MatrixModel</name>
    <message>
        <location filename="../../ui/matrix_view.py" line="129"/>
        <source>填报中</source>
        <translation>In progress</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="129"/>
        <source>已锁定</source>
        <translation>Locked</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="129"/>
        <source>已退回</source>
        <translation>Returned</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="130"/>
        <source>未报送</source>
        <translation>Not submitted</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="140"/>
        <source>报送状态</source>
        <translation>Submission</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="140"/>
        <source>版本</source>
        <translation>Revision</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="140"/>
        <source>已填</source>
        <translation>Filled</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="140"/>
        <source>报送及时</source>
        <translation>Timeliness</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="142"/>
        <source>按时 / 逾期 N 天 / 未报：以市级收到该单位第一份有效报送的时间为准</source>
        <translation>On time / N days late / not received: judged by when the city received the unit&apos;s first valid submission</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="151"/>
        <source>%1（%2）
%3 · %4
各单位：%5
双击查看各单位构成</source>
        <translation>%1 (%2)
%3 · %4
Units: %5
Double-click for each unit&apos;s contribution</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="167"/>
        <source>%1（全市）</source>
        <translation>%1 (city)</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="214"/>
        <source>无数值</source>
        <translation>no value</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="216"/>
        <source>%1 · %2
本期值：%3
状态：%4</source>
        <translation>%1 · %2
Value: %3
Status: %4</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="231"/>
        <source>按时报送率 %1%</source>
        <translation>On time: %1%</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="237"/>
        <source>市级收到：%1</source>
        <translation>Received by the city: %1</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="239"/>
        <source>市级尚未收到该单位的报送</source>
        <translation>Nothing received from this unit yet</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="260"/>
        <source>汇总</source>
        <translation>Aggregated</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="278"/>
        <source>由所属单位的报送汇总</source>
        <translation>Aggregated from its units&apos; submissions</translation>
    </message>
    <message>
        <location filename="../../ui/matrix_view.py" line="280"/>
        <source>本期没有收到该单位的任何报送</source>
        <translation>Nothing received from this unit for the period</translation>
    </message>
</context>
<context>
    <name>Outbox</name>
    <message>
        <location filename="../../ui/outbox_status.py" line="26"/>
        <source>从未联系</source>
        <translation>never</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_status.py" line="39"/>
        <source>待上报 %1</source>
        <translation>To upload %1</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_status.py" line="41"/>
        <source>被拒收 %1</source>
        <translation>Refused %1</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_status.py" line="43"/>
        <source>市级通知 %1</source>
        <translation>City notices %1</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_status.py" line="45"/>
        <source>无法连接</source>
        <translation>Cannot connect</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_status.py" line="46"/>
        <source>最后联系 %1</source>
        <translation>Last contact %1</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_status.py" line="70"/>
        <source>上报地址：%1</source>
        <translation>Intake address: %1</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_status.py" line="74"/>
        <source>约 %1 秒后再试</source>
        <translation>Next try in about %1 s</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_status.py" line="75"/>
        <source>点击查看报送记录</source>
        <translation>Click to see the submission record</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="54"/>
        <source>已送达（审核通过）</source>
        <translation>Delivered (accepted)</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="56"/>
        <source>待上报</source>
        <translation>To upload</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="57"/>
        <source>上报中</source>
        <translation>Uploading</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="58"/>
        <source>已送达</source>
        <translation>Delivered</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="59"/>
        <source>被拒收</source>
        <translation>Refused</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="60"/>
        <source>已退回</source>
        <translation>Returned</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="67"/>
        <source>已接收</source>
        <translation>Received</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="68"/>
        <source>已接收（市级已有更新的版本）</source>
        <translation>Received (the city holds a newer revision)</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="69"/>
        <source>重复报送（此前已接收）</source>
        <translation>Duplicate (received before)</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="76"/>
        <source>退回通知</source>
        <translation>Return notice</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="77"/>
        <source>审核通过</source>
        <translation>Acceptance</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="78"/>
        <source>延期通知</source>
        <translation>Extension notice</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="79"/>
        <source>新模板</source>
        <translation>New template</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="113"/>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="114"/>
        <source>单位</source>
        <translation>Unit</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="115"/>
        <source>报告期</source>
        <translation>Period</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="116"/>
        <source>版本</source>
        <translation>Revision</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="117"/>
        <source>签名时间</source>
        <translation>Signed</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="118"/>
        <source>送达时间（北京时间）</source>
        <translation>Received by the city (Beijing time)</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="119"/>
        <source>序号</source>
        <translation>Sequence</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="120"/>
        <source>报送编号</source>
        <translation>Submission ID</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="121"/>
        <source>回执 / 原因</source>
        <translation>Receipt / reason</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="161"/>
        <source>第 %1 版</source>
        <translation>Revision %1</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="175"/>
        <source>退回原因：%1</source>
        <translation>Returned: %1</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="181"/>
        <source>上次尝试：%1</source>
        <translation>Last attempt: %1</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="192"/>
        <source>类型</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="193"/>
        <source>内容</source>
        <translation>Content</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="194"/>
        <source>收到时间（北京时间）</source>
        <translation>Fetched (Beijing time)</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="229"/>
        <source>报送记录</source>
        <translation>Submission record</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="233"/>
        <source>立即上报</source>
        <translation>Upload now</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="235"/>
        <source>接收市级通知…</source>
        <translation>Receive city notices…</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="246"/>
        <source>查看 / 打印回执…</source>
        <translation>View / print receipt…</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="248"/>
        <source>保存回执单 PDF…</source>
        <translation>Save receipt PDF…</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="250"/>
        <source>重新上报</source>
        <translation>Upload again</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="261"/>
        <source>市级发来、待确认的通知和模板（确认后才会生效）：</source>
        <translation>Notices and templates from the city, waiting for you (nothing takes effect until you apply it):</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="262"/>
        <source>应用</source>
        <translation>Apply</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="264"/>
        <source>不应用</source>
        <translation>Dismiss</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="306"/>
        <source>未设置上报地址：报送以文件方式进行（导出已签名的 Excel 和 PDF 交市级）。</source>
        <translation>No intake address: submissions are handed over as files (export the signed Excel and PDF for the city).</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="309"/>
        <source>上报地址：%1 · 待上报 %2 · 最后联系 %3</source>
        <translation>Intake address: %1 · to upload %2 · last contact %3</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="315"/>
        <source>无法连接：%1</source>
        <translation>Cannot connect: %1</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="350"/>
        <source>正在上报…</source>
        <translation>Uploading…</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="358"/>
        <location filename="../../ui/outbox_view.py" line="369"/>
        <source>接收市级通知</source>
        <translation>Receive city notices</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="359"/>
        <source>还没有可接收通知的单位（先签名报送一次）。</source>
        <translation>No unit to receive notices for yet (sign a submission first).</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="363"/>
        <source>本单位私钥口令（用于向市级证明身份）</source>
        <translation>Your unit's key passphrase (proves to the city who is asking)</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="370"/>
        <source>口令不对，或本机没有单位 %1 的密钥。</source>
        <translation>Wrong passphrase, or this PC has no key of unit %1.</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="393"/>
        <source>回执无法核验</source>
        <translation>The receipt cannot be verified</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="416"/>
        <source>保存回执单</source>
        <translation>Save receipt</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="416"/>
        <source>PDF 文件 (*.pdf)</source>
        <translation>PDF files (*.pdf)</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="428"/>
        <source>回执单未保存</source>
        <translation>Receipt not saved</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="430"/>
        <source>已保存回执单：%1</source>
        <translation>Receipt saved: %1</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="443"/>
        <source>应用这项%1？
%2</source>
        <translation>Apply this %1?
%2</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="445"/>
        <location filename="../../ui/outbox_view.py" line="455"/>
        <source>市级通知</source>
        <translation>City notice</translation>
    </message>
    <message>
        <location filename="../../ui/outbox_view.py" line="451"/>
        <source>未能应用</source>
        <translation>Not applied</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../ui/settings_dialog.py" line="21"/>
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="27"/>
        <source>区县填报</source>
        <translation>District</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="28"/>
        <source>市级汇总</source>
        <translation>City</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="36"/>
        <source>留空：使用市级模板中的上报地址</source>
        <translation>Empty: the address in the city's template</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="37"/>
        <source>仅供测试：代替市级模板中设定的上报服务地址</source>
        <translation>For testing only: replaces the intake address set in the city's template</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="42"/>
        <source>界面语言</source>
        <translation>Language</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="43"/>
        <source>角色</source>
        <translation>Role</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="44"/>
        <source>本单位</source>
        <translation>Your unit</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="45"/>
        <source>上报地址（测试用）</source>
        <translation>Intake address (testing)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="54"/>
        <source>上报地址</source>
        <translation>Intake address</translation>
    </message>
</context>
<context>
    <name>Submission</name>
    <message>
        <location filename="../../ui/submission_actions.py" line="32"/>
        <source>尚不能签名</source>
        <translation>Not ready to sign</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="33"/>
        <source>请先处理以下问题：
%1</source>
        <translation>Please deal with these first:
%1</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="36"/>
        <source>本单位私钥口令</source>
        <translation>This unit&apos;s key passphrase</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="42"/>
        <source>未签名</source>
        <translation>Not signed</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="46"/>
        <source>已签名并锁定第 %1 版</source>
        <translation>Revision %1 signed and locked</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="62"/>
        <source>没有已签名的版本</source>
        <translation>No signed revision</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="63"/>
        <source>本期还没有签名锁定的版本，请先签名。</source>
        <translation>This period has no signed revision yet; sign it first.</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="72"/>
        <source>本单位私钥口令（PDF 需要签名）</source>
        <translation>This unit&apos;s key passphrase (the PDF is signed)</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="90"/>
        <source>保存报送文件到</source>
        <translation>Save the submission files to</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="101"/>
        <source>导出未完成</source>
        <translation>Export not completed</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="104"/>
        <source>已导出 %1 和 %2</source>
        <translation>Exported %1 and %2</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="134"/>
        <source>无法核验</source>
        <translation>Cannot verify</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="135"/>
        <source>本机还没有市级 CA 证书（导入市级签名的模板时会记下）。</source>
        <translation>This computer has no city CA certificate yet (it is recorded when a template signed by the city is imported).</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="140"/>
        <source>选择报送文件</source>
        <translation>Choose submission files</translation>
    </message>
    <message>
        <location filename="../../ui/submission_actions.py" line="142"/>
        <source>报送文件 (*.xlsx *.pdf)</source>
        <translation>Submission files (*.xlsx *.pdf)</translation>
    </message>
</context>
<context>
    <name>SummaryBar</name>
    <message>
        <location filename="../../ui/summary_bar.py" line="33"/>
        <source>已填 %1/%2</source>
        <translation>Filled %1/%2</translation>
    </message>
</context>
<context>
    <name>Terms</name>
    <message>
        <location filename="../../ui/texts.py" line="12"/>
        <source>超额完成</source>
        <translation>Exceeded</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="13"/>
        <source>已完成</source>
        <translation>Completed</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="14"/>
        <source>按序推进</source>
        <translation>On track</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="15"/>
        <source>滞后</source>
        <translation>Behind</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="16"/>
        <source>未填报</source>
        <translation>Missing</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="17"/>
        <source>达标</source>
        <translation>Within cap</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="18"/>
        <source>预警</source>
        <translation>Ahead of pace</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="19"/>
        <source>超标</source>
        <translation>Over cap</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="26"/>
        <source>总体指标</source>
        <translation>Headline</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="27"/>
        <source>绿色生产</source>
        <translation>Green production</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="28"/>
        <source>绿色消费</source>
        <translation>Green consumption</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="29"/>
        <source>绿色生活</source>
        <translation>Green living</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="30"/>
        <source>绿色文明</source>
        <translation>Green civility</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="31"/>
        <source>能耗双控</source>
        <translation>Energy control</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="32"/>
        <source>项目支撑</source>
        <translation>Key projects</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="33"/>
        <source>基础数据</source>
        <translation>Input data</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="41"/>
        <source>全年</source>
        <translation>Year</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="43"/>
        <source>第一季度</source>
        <translation>Q1</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="44"/>
        <source>第二季度</source>
        <translation>Q2</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="45"/>
        <source>第三季度</source>
        <translation>Q3</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="46"/>
        <source>第四季度</source>
        <translation>Q4</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="52"/>
        <source>%1年度</source>
        <translation>%1 (year)</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="53"/>
        <source>%1年%2</source>
        <translation>%1 %2</translation>
    </message>
</context>
<context>
    <name>UserGuide</name>
    <message>
        <location filename="../../ui/user_guide.py" line="99"/>
        <source>用户手册</source>
        <translation>User guide</translation>
    </message>
    <message>
        <location filename="../../ui/user_guide.py" line="100"/>
        <source>找不到用户手册文件：
%1
请重新安装填报通。</source>
        <translation>The user guide file was not found:
%1
Please reinstall Tianbao.</translation>
    </message>
</context>
<context>
    <name>Values</name>
    <message>
        <location filename="../../ui/values_actions.py" line="22"/>
        <source>Excel 工作簿 (*.xlsx)</source>
        <translation>Excel workbook (*.xlsx)</translation>
    </message>
    <message>
        <location filename="../../ui/values_actions.py" line="23"/>
        <source>CSV 文件，UTF-8 (*.csv)</source>
        <translation>CSV file, UTF-8 (*.csv)</translation>
    </message>
    <message>
        <location filename="../../ui/values_actions.py" line="26"/>
        <source>导出数值表</source>
        <translation>Export values sheet</translation>
    </message>
    <message>
        <location filename="../../ui/values_actions.py" line="40"/>
        <source>未导出</source>
        <translation>Not exported</translation>
    </message>
    <message>
        <location filename="../../ui/values_actions.py" line="41"/>
        <source>无法写入 %1：%2</source>
        <translation>Cannot write %1: %2</translation>
    </message>
    <message>
        <location filename="../../ui/values_actions.py" line="47"/>
        <source>已导出数值表 %1；填好后用“导入数值”导回</source>
        <translation>Exported the values sheet %1; fill it in and bring it back with “Import values”</translation>
    </message>
    <message>
        <location filename="../../ui/values_actions.py" line="60"/>
        <source>导入数值</source>
        <translation>Import values</translation>
    </message>
    <message>
        <location filename="../../ui/values_actions.py" line="62"/>
        <source>表格文件 (*.csv *.xlsx);;所有文件 (*)</source>
        <translation>Spreadsheets (*.csv *.xlsx);;All files (*)</translation>
    </message>
    <message>
        <location filename="../../ui/values_actions.py" line="72"/>
        <source>未导入</source>
        <translation>Not imported</translation>
    </message>
    <message>
        <location filename="../../ui/values_actions.py" line="76"/>
        <source>已导入 %1 行，%2 处数值有变化</source>
        <translation>Imported %1 rows; %2 figures changed</translation>
    </message>
</context>
<context>
    <name>VerifyDialog</name>
    <message>
        <location filename="../../ui/verify_dialog.py" line="30"/>
        <source>核验报送文件</source>
        <translation>Verify submission files</translation>
    </message>
    <message>
        <location filename="../../ui/verify_dialog.py" line="35"/>
        <source>文件</source>
        <translation>File</translation>
    </message>
    <message>
        <location filename="../../ui/verify_dialog.py" line="35"/>
        <source>结果</source>
        <translation>Result</translation>
    </message>
    <message>
        <location filename="../../ui/verify_dialog.py" line="35"/>
        <source>说明</source>
        <translation>Details</translation>
    </message>
    <message>
        <location filename="../../ui/verify_dialog.py" line="42"/>
        <source>%1 %2 第 %3 版，报送编号 %4</source>
        <translation>%1 %2 revision %3, submission %4</translation>
    </message>
    <message>
        <location filename="../../ui/verify_dialog.py" line="50"/>
        <source>有效</source>
        <translation>Valid</translation>
    </message>
    <message>
        <location filename="../../ui/verify_dialog.py" line="50"/>
        <source>无效</source>
        <translation>Invalid</translation>
    </message>
    <message>
        <location filename="../../ui/verify_dialog.py" line="61"/>
        <source>共 %1 个文件：%2 个有效，%3 个无效。</source>
        <translation>%1 file(s): %2 valid, %3 invalid.</translation>
    </message>
</context>
</TS>
